// What operators and API users see besides the API itself: the OpenAPI document, liveness,
// readiness (naming each dependency) and Prometheus metrics.
import t from 'tap'
import { createOrgFixture, jsonClient } from '@latchkey/testing'
import { checkAllowed, startPermissionApp } from './helpers.ts'

const testApp = await startPermissionApp(t)
const client = jsonClient(testApp.url)

const permissionRoutes: Record<string, string[]> = {
  '/v1/permissions': ['get', 'post'],
  '/v1/orgs': ['post'],
  '/v1/orgs/{org}': ['delete', 'get', 'patch'],
  '/v1/users/{user}': ['put'],
  '/v1/orgs/{org}/roles': ['get', 'post'],
  '/v1/orgs/{org}/roles/{role}': ['delete', 'get', 'put'],
  '/v1/orgs/{org}/members/{user}': ['delete', 'put'],
  '/v1/orgs/{org}/members/{user}/permissions': ['get'],
  '/v1/check': ['post'],
  '/v1/check/bulk': ['post'],
}

t.test('/docs/json is an OpenAPI document listing every permission route', async (t) => {
  const res = await client.get('/docs/json')
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^application\/json/)
  const doc = res.body
  t.match(doc.openapi, /^3\.\d+\.\d+$/, 'an OpenAPI 3 document')
  t.match(doc.info, { title: 'Latchkey' })
  for (const [path, methods] of Object.entries(permissionRoutes)) {
    t.same(Object.keys(doc.paths[path] ?? {}).filter((m) => m !== 'parameters').sort(), methods, `${path}: ${methods.join(', ')}`)
  }
  t.notOk(doc.paths['/healthz'] || doc.paths['/metrics'] || doc.paths['/readyz'], 'operational endpoints are not part of the API document')

  const check = doc.paths['/v1/check'].post
  const body = check.requestBody.content['application/json'].schema
  t.same([...body.required].sort(), ['org', 'permission', 'user'], 'the check body names its required fields')
  t.equal(body.properties.permission.maxLength, 128, 'and the permission key’s limit')
  t.ok(check.responses['200'] && check.responses['400'] && check.responses['409'], 'documents 200, 400 and 409')
  t.same(Object.keys(check.responses['400'].content['application/json'].schema.properties).sort(), ['code', 'error', 'message', 'statusCode'],
    'the error shape is documented')
  const params = doc.paths['/v1/orgs/{org}/roles/{role}'].get.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`).sort()
  t.same(params, ['path:org', 'path:role'], 'path parameters are documented')
  t.match(doc.paths['/v1/orgs/{org}/members/{user}/permissions'].get.parameters, [{ in: 'query', name: 'atLeastRevision' }],
    'the atLeastRevision query parameter is documented')
})

t.test('/healthz answers 200 while the process lives', async (t) => {
  const res = await client.get('/healthz')
  t.equal(res.status, 200)
  t.same(res.body, { status: 'ok' })
})

t.test('/readyz answers 200 naming postgresql, nats and redis', async (t) => {
  const res = await client.get('/readyz')
  t.equal(res.status, 200)
  t.equal(res.body.status, 'ready')
  t.match(res.body.checks, {
    postgresql: { state: 'up', critical: true },
    nats: { state: 'up', critical: false },
    redis: { state: 'up', critical: false },
  }, 'each dependency by name: PostgreSQL critical; NATS and Redis optional (checks and writes go on without them)')
})

t.test('/metrics serves Prometheus text with request durations and cache lookups after a few checks', async (t) => {
  const fx = await createOrgFixture(client, { roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'] } })
  for (let i = 0; i < 5; i++) {
    t.equal((await checkAllowed(client, { org: fx.slug, user: fx.users.ann, permission: 'deals.view' })).allowed, true)
  }
  const res = await client.get('/metrics')
  t.equal(res.status, 200)
  t.match(res.headers.get('content-type'), /^text\/plain/, 'the Prometheus text format')
  const text = res.text
  t.match(text, /^# HELP http_server_request_duration_seconds /m, 'the request duration histogram is described')
  t.match(text, /^# TYPE http_server_request_duration_seconds histogram$/m)
  t.match(text, /^http_server_request_duration_seconds_count\{[^}]*http_route="\/v1\/check"[^}]*\} [5-9]\d*$/m,
    'labelled by route pattern, counting the five checks at least')
  t.match(text, /^http_server_request_duration_seconds_count\{[^}]*http_route="\/v1\/orgs\/:org\/roles"[^}]*\} \d+$/m,
    'a parameterized route appears by its pattern, never the raw URL')
  t.notMatch(text, new RegExp(fx.slug), 'no organization slug leaks into labels')

  t.match(text, /^# TYPE latchkey_cache_requests_total counter$/m, 'cache lookups are a counter')
  const l1Hits = text.match(/^latchkey_cache_requests_total\{(?=[^}]*cache_type="user_permissions")(?=[^}]*cache_level="l1")(?=[^}]*cache_result="hit")[^}]*\} (\d+)$/m)
  t.ok(l1Hits && Number(l1Hits[1]) >= 4, 'repeated checks are L1 hits of user_permissions', { found: l1Hits?.[0] })
  t.match(text, /^latchkey_cache_requests_total\{(?=[^}]*cache_type="organization")(?=[^}]*cache_result="miss")[^}]*\} \d+$/m, 'and misses are counted too')
})
