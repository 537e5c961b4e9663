import t from 'tap'
import { defineError, toApiError } from '../src/index.ts'

t.test('a domain error keeps its code, status and message', async (t) => {
  const RoleCycle = defineError<[string]>('LK_ERR_ROLE_CYCLE', 'Inheritance would form a cycle: %s', 409)
  t.same(toApiError(new RoleCycle('a → b → a')).api, {
    statusCode: 409,
    code: 'LK_ERR_ROLE_CYCLE',
    error: 'Conflict',
    message: 'Inheritance would form a cycle: a → b → a',
  })
})

t.test('an unexpected error answers 500 without revealing anything about it', async (t) => {
  const { api, internal } = toApiError(new TypeError("Cannot read properties of undefined (reading 'id') at /srv/app/secret.ts"))
  t.same(api, { statusCode: 500, code: 'LK_ERR_INTERNAL', error: 'Internal Server Error', message: 'Internal server error' })
  t.ok(internal)
})

t.test("Fastify's request errors become the contract's codes", async (t) => {
  const framework = (code: string, statusCode: number, message = 'x') => Object.assign(new Error(message), { code, statusCode })
  t.equal(toApiError(framework('FST_ERR_CTP_INVALID_JSON_BODY', 400, 'Unexpected token')).api.code, 'LK_ERR_MALFORMED_JSON')
  t.equal(toApiError(framework('FST_ERR_CTP_EMPTY_JSON_BODY', 400)).api.code, 'LK_ERR_MALFORMED_JSON')
  t.same(toApiError(framework('FST_ERR_CTP_BODY_TOO_LARGE', 413), { bodyLimit: 2048 }).api, {
    statusCode: 413,
    code: 'LK_ERR_BODY_TOO_LARGE',
    error: 'Payload Too Large',
    message: 'The body is larger than the limit of 2048 bytes',
  })
  t.equal(toApiError(framework('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).api.statusCode, 415)
  t.equal(toApiError(framework('FST_ERR_SOMETHING_NEW', 400)).api.code, 'LK_ERR_BAD_REQUEST', 'an unknown 4xx still gets an LK_ code')
})

t.test('a schema validation failure is a 400 naming the field', async (t) => {
  const err = Object.assign(new Error('body/permission must be string'), { validation: [{}], statusCode: 400 })
  t.match(toApiError(err).api, { statusCode: 400, code: 'LK_ERR_VALIDATION', message: /permission must be string/ })
})

t.test('a lost database connection is a 503 that says to retry, not a 500', async (t) => {
  const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })
  t.same(toApiError(err).api, { statusCode: 503, code: 'LK_ERR_UNAVAILABLE', error: 'Service Unavailable', message: 'The database is unavailable; retry later' })
})

t.test('a domain error stays itself even when a lost connection is among its causes', async (t) => {
  const Unreachable = defineError<[string]>('LK_ERR_TASK_QUEUE_UNAVAILABLE', 'The task queue is unavailable: %s', 503)
  const lost = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4222'), { code: 'ECONNREFUSED' })
  t.same(toApiError(Object.assign(new Unreachable('connection refused'), { cause: lost })).api, {
    statusCode: 503,
    code: 'LK_ERR_TASK_QUEUE_UNAVAILABLE',
    error: 'Service Unavailable',
    message: 'The task queue is unavailable: connection refused',
  })
  const NotFound = defineError<[string]>('LK_ERR_ORG_NOT_FOUND', 'Connection terminated for %s', 404)
  t.equal(toApiError(new NotFound('acme')).api.code, 'LK_ERR_ORG_NOT_FOUND', 'a message that reads like an outage does not make one')
})
