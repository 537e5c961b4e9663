import t from 'tap'
import Type from 'typebox'
import { UnauthenticatedError } from '@latchkey/errors'
import { createLogger } from '@latchkey/logger'
import { createMetrics } from '@latchkey/telemetry'
import { createHttpServer } from '../src/index.ts'

async function server(t: { teardown(fn: () => unknown): void }) {
  const app = await createHttpServer({
    logger: createLogger({ level: 'silent', name: 'test' }),
    metrics: createMetrics({ serviceName: 'test' }),
    title: 'test',
    version: '0',
    bodyLimit: 1024,
  })
  t.teardown(() => app.close())
  return app
}

t.test('/readyz is 200 while critical dependencies are up, naming a degraded one', async (t) => {
  const app = await server(t)
  app.readiness.add({ name: 'postgresql', critical: true, check: () => ({ state: 'up' }) })
  app.readiness.add({ name: 'redis', critical: false, check: () => ({ state: 'down', detail: 'L2 off' }) })
  const response = await app.inject('/readyz')
  t.equal(response.statusCode, 200)
  t.same(response.json(), {
    status: 'degraded',
    checks: { postgresql: { state: 'up', critical: true }, redis: { state: 'down', critical: false, detail: 'L2 off' } },
  })
})

t.test('/readyz is 503 naming the critical dependency that is down, or a check that throws', async (t) => {
  const app = await server(t)
  app.readiness.add({
    name: 'postgresql',
    critical: true,
    check: () => {
      throw new Error('connection refused')
    },
  })
  const response = await app.inject('/readyz')
  t.equal(response.statusCode, 503)
  t.match(response.json(), { status: 'unready', checks: { postgresql: { state: 'down', detail: 'connection refused' } } })
})

t.test('/readyz is 503 while draining after SIGTERM; /healthz stays 200', async (t) => {
  const app = await server(t)
  app.readiness.draining = true
  t.equal((await app.inject('/readyz')).statusCode, 503)
  t.equal((await app.inject('/healthz')).statusCode, 200)
})

t.test('an unknown route answers 404 in the contract shape', async (t) => {
  const app = await server(t)
  const response = await app.inject('/v1/nothing?x=1')
  t.same(response.json(), { statusCode: 404, code: 'LK_ERR_ROUTE_NOT_FOUND', error: 'Not Found', message: 'No route GET /v1/nothing' })
})

t.test('input is validated, never coerced; malformed JSON and oversized bodies get LK_ codes', async (t) => {
  const app = await server(t)
  app.post('/echo', { schema: { body: Type.Object({ name: Type.String() }), response: { 200: Type.Object({ name: Type.String() }) } } }, async (r) => r.body)
  await app.ready()
  const post = (payload: string) => app.inject({ method: 'POST', url: '/echo', payload, headers: { 'content-type': 'application/json' } })
  t.match((await post('{"name": 5}')).json(), { statusCode: 400, code: 'LK_ERR_VALIDATION' })
  t.match((await post('{"name": ')).json(), { statusCode: 400, code: 'LK_ERR_MALFORMED_JSON' })
  t.match((await post(JSON.stringify({ name: 'x'.repeat(2000) }))).json(), { statusCode: 413, code: 'LK_ERR_BODY_TOO_LARGE' })
  t.same((await post('{"name": "ok"}')).json(), { name: 'ok' })
})

t.test('an installed authenticator guards every route but the public ones', async (t) => {
  const app = await server(t)
  app.useAuthenticator(async (request) => {
    if (request.headers.authorization !== 'Bearer good') throw new UnauthenticatedError('a valid bearer token is required')
    return { kind: 'service', id: 'billing' }
  })
  app.get('/v1/who', { schema: { response: { 200: Type.Object({ principal: Type.String() }) } } }, async (request) => ({
    principal: request.principal.kind === 'anonymous' ? 'anonymous' : request.principal.id,
  }))
  await app.ready()
  t.match((await app.inject('/v1/who')).json(), { statusCode: 401, code: 'LK_ERR_UNAUTHENTICATED' })
  t.same((await app.inject({ url: '/v1/who', headers: { authorization: 'Bearer good' } })).json(), { principal: 'billing' })
  t.equal((await app.inject('/healthz')).statusCode, 200, 'health stays public')
})

t.test('/metrics serves request durations by route in Prometheus text', async (t) => {
  const app = await server(t)
  await app.inject('/healthz')
  const response = await app.inject('/metrics')
  t.equal(response.statusCode, 200)
  t.match(response.body, /http_server_request_duration_seconds_bucket\{[^}]*http_route="\/healthz"[^}]*le="2"\}/)
})
