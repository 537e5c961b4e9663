import t from 'tap'
import Type from 'typebox'
import { ConfigError, Duration, loadConfig, parseDuration } from '../src/index.ts'

const schema = Type.Object({
  PORT: Type.Integer({ minimum: 1, maximum: 65535, default: 8080 }),
  CACHE_L1_ENABLED: Type.Boolean({ default: true }),
  CACHE_TTL: Duration('15m'),
})

t.test('fills defaults for variables that are unset or empty', async (t) => {
  t.same(loadConfig(schema, { PORT: '' }), { PORT: 8080, CACHE_L1_ENABLED: true, CACHE_TTL: '15m' })
})

t.test('converts the text of the environment into numbers and booleans', async (t) => {
  t.same(loadConfig(schema, { PORT: '9090', CACHE_L1_ENABLED: 'false', CACHE_TTL: '30s' }), {
    PORT: 9090,
    CACHE_L1_ENABLED: false,
    CACHE_TTL: '30s',
  })
})

t.test('names every bad variable with the value it had', async (t) => {
  const error = t.throws(() => loadConfig(schema, { PORT: 'eighty', CACHE_TTL: 'soon' })) as ConfigError
  t.type(error, ConfigError)
  t.equal(error.problems.length, 2)
  t.match(error.message, /PORT="eighty"/)
  t.match(error.message, /CACHE_TTL="soon"/)
})

t.test('reads durations in every unit and refuses anything else', async (t) => {
  t.equal(parseDuration('250ms'), 250)
  t.equal(parseDuration('30s'), 30_000)
  t.equal(parseDuration('15m'), 900_000)
  t.equal(parseDuration('1h'), 3_600_000)
  t.equal(parseDuration('2d'), 172_800_000)
  t.throws(() => parseDuration('15 minutes'), /Not a duration/)
})
