// Shared by the tests that run the chart's containers locally: an installation's values pointing
// at this machine's servers, with a database, a NATS namespace and a Redis prefix of its own.
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { removeRedisKeys, uniqueNamespace, uniquePrefix } from '@latchkey/testing'
import pg from 'pg'
import { chartDir, renderChart, type KubeObject } from '../src/index.ts'

type Teardown = { teardown(fn: () => unknown): void }

const serverUrl = process.env.TEST_DATABASE_SERVER ?? 'postgresql://postgres@127.0.0.1:5432/postgres'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl })
  await client.connect()
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
  } finally {
    await client.end()
  }
}

/**
 * Renders the chart with ci/local-run-values.yaml and this installation's Secret and namespace
 * (`set` adds values, e.g. ports). The database does not exist until the migration Job creates
 * it; it is dropped, and the NATS streams and Redis keys removed, when the test ends.
 */
export function localInstallation(t: Teardown): (set?: Record<string, string>) => Promise<KubeObject[]> {
  const database = `latchkey_helm_${randomBytes(5).toString('hex')}`
  t.teardown(() => dropDatabase(database))
  const databaseUrl = new URL(serverUrl)
  databaseUrl.pathname = `/${database}`
  const namespace = uniqueNamespace(t)
  const redisPrefix = uniquePrefix()
  t.teardown(() => removeRedisKeys(redisUrl, redisPrefix))
  return (set = {}) =>
    renderChart({
      valuesFiles: [join(chartDir, 'ci/local-run-values.yaml')],
      setString: {
        'secret.env.DATABASE_URL': databaseUrl.toString(),
        'secret.env.REDIS_URL': redisUrl,
        'secret.env.NATS_URL': natsUrl,
        'config.NATS_NAMESPACE': namespace,
        'config.REDIS_KEY_PREFIX': redisPrefix,
      },
      set,
    })
}
