// Bad input, on every route of the permission service: always a 4xx in the contract's error
// shape with an LK_ code, never a 5xx, and never a change (no new rows, revisions unchanged).
import t from 'tap'
import { createOrgFixture, jsonClient, type JsonResponse } from '@latchkey/testing'
import { assertApiError, assertErrorShape, startPermissionApp, tableCounts } from './helpers.ts'

const testApp = await startPermissionApp(t)
const client = jsonClient(testApp.url)
const dbUrl = testApp.config.DATABASE_URL

const fx = await createOrgFixture(client, {
  roles: { viewer: { permissions: ['deals.view'] }, editor: { permissions: ['deals.edit'], inherits: ['viewer'] } },
  members: { ann: ['viewer'] },
})
const org = fx.slug
const ann = fx.users.ann

interface BadRequest {
  what: string
  method: string
  path: string
  /** A JSON body (encoded by the client). */
  body?: unknown
  /** A body sent as is, with `contentType`. */
  raw?: string
  contentType?: string
  /** The status and code expected when they are known exactly; otherwise any 4xx with an LK_ code. */
  status?: number
  code?: string
}

const json = 'application/json'
const key129 = `a.${'b'.repeat(127)}` // 129 characters, otherwise a well-formed key
const validCheck = { org, user: ann, permission: 'deals.view' }

// Malformed JSON, an empty body and a wrong content type, for every route that takes a body.
function malformedBodies(method: string, path: string): BadRequest[] {
  return [
    { what: 'malformed JSON', method, path, raw: '{"oops": ', contentType: json, status: 400, code: 'LK_ERR_MALFORMED_JSON' },
    { what: 'malformed JSON (single quotes)', method, path, raw: "{'a': 1}", contentType: json, status: 400, code: 'LK_ERR_MALFORMED_JSON' },
    { what: 'an empty body', method, path, raw: '', contentType: json, status: 400 },
    { what: 'no body at all', method, path, status: 400 },
    { what: 'a JSON null', method, path, raw: 'null', contentType: json, status: 400 },
    { what: 'a JSON array', method, path, body: [], status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'a JSON string', method, path, body: 'hello', status: 400, code: 'LK_ERR_VALIDATION' },
    // Fastify parses text/plain into a string, which the schema then refuses (400); either way a 4xx.
    { what: 'text/plain', method, path, raw: '{"slug":"x"}', contentType: 'text/plain' },
    { what: 'form-encoded', method, path, raw: 'a=1&b=2', contentType: 'application/x-www-form-urlencoded', status: 415, code: 'LK_ERR_UNSUPPORTED_MEDIA_TYPE' },
  ]
}

const invalidSlugs = ['UPPER', 'a', '-lead', 'x'.repeat(64), 'under_score', 'dot.ted', 'sp%20ace', '%E2%82%AC']
const invalidRoleNames = ['-lead', '.dot', 'sp%20ace', 'x'.repeat(65), 'sl%2Fash', 'caf%C3%A9']
const invalidUserIds = ['sp%20ace', 'u'.repeat(129), 'pi%7Cpe', 'sl%2Fash', '%23hash', 'caf%C3%A9']
const invalidKeys = ['Deals.view', 'deals', 'deals.', '.deals', 'deals..view', '1deals.view', 'deals.1view', 'deals-view.x', 'deals.view ', '', key129]
const invalidRevisions = ['abc', '-1', '1.5', '1e3', '0x10', '1234567890123456', ' 1']

const requests: BadRequest[] = [
  // POST /v1/permissions
  ...malformedBodies('POST', '/v1/permissions'),
  { what: 'no key', method: 'POST', path: '/v1/permissions', body: { description: 'd' }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a number for the key', method: 'POST', path: '/v1/permissions', body: { key: 5 }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a number for the description', method: 'POST', path: '/v1/permissions', body: { key: 'new.key', description: 5 }, status: 400 },
  ...invalidKeys.map((key) => ({ what: `key ${JSON.stringify(key.slice(0, 20))}`, method: 'POST', path: '/v1/permissions', body: { key }, status: 400, code: 'LK_ERR_VALIDATION' })),
  { what: 'a description over 1,024 characters', method: 'POST', path: '/v1/permissions', body: { key: 'new.key', description: 'd'.repeat(1025) }, status: 400 },

  // POST /v1/orgs
  ...malformedBodies('POST', '/v1/orgs'),
  { what: 'no slug', method: 'POST', path: '/v1/orgs', body: { name: 'n' }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'no name', method: 'POST', path: '/v1/orgs', body: { slug: 'fine-slug' }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a number for the slug', method: 'POST', path: '/v1/orgs', body: { slug: 12345, name: 'n' }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a number for the name', method: 'POST', path: '/v1/orgs', body: { slug: 'fine-slug', name: 5 }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'an empty name', method: 'POST', path: '/v1/orgs', body: { slug: 'fine-slug', name: '' }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a name over 200 characters', method: 'POST', path: '/v1/orgs', body: { slug: 'fine-slug', name: 'n'.repeat(201) }, status: 400 },
  ...['UPPER', 'a', '-lead', 'x'.repeat(64), 'under_score', 'dot.ted', 'sp ace', '€uro', ''].map((slug) => ({
    what: `slug ${JSON.stringify(slug.slice(0, 20))}`, method: 'POST', path: '/v1/orgs', body: { slug, name: 'n' }, status: 400, code: 'LK_ERR_VALIDATION',
  })),

  // GET, PATCH, DELETE /v1/orgs/:org
  ...invalidSlugs.flatMap((slug) => [
    { what: `GET slug ${slug.slice(0, 20)}`, method: 'GET', path: `/v1/orgs/${slug}`, status: 400 },
    { what: `PATCH slug ${slug.slice(0, 20)}`, method: 'PATCH', path: `/v1/orgs/${slug}`, body: { name: 'n' }, status: 400 },
    { what: `DELETE slug ${slug.slice(0, 20)}`, method: 'DELETE', path: `/v1/orgs/${slug}`, status: 400 },
  ]),
  { what: 'a slug that is not valid percent-encoding', method: 'GET', path: '/v1/orgs/%E0%A4%A', status: 400 },
  { what: 'a slug of 300 characters', method: 'GET', path: `/v1/orgs/${'x'.repeat(300)}`, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a slug of 5,000 characters', method: 'GET', path: `/v1/orgs/${'x'.repeat(5000)}` },
  { what: 'a user id of 5,000 characters', method: 'PUT', path: `/v1/users/${'u'.repeat(5000)}`, body: { email: 'a@example.com' } },
  ...malformedBodies('PATCH', `/v1/orgs/${org}`),
  { what: 'no name', method: 'PATCH', path: `/v1/orgs/${org}`, body: {}, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a number for the name', method: 'PATCH', path: `/v1/orgs/${org}`, body: { name: 1 }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a null name', method: 'PATCH', path: `/v1/orgs/${org}`, body: { name: null }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'DELETE with a malformed JSON body', method: 'DELETE', path: `/v1/orgs/${org}`, raw: '{', contentType: json, status: 400, code: 'LK_ERR_MALFORMED_JSON' },

  // PUT /v1/users/:user
  ...malformedBodies('PUT', `/v1/users/${ann}`),
  ...invalidUserIds.map((user) => ({ what: `user id ${user.slice(0, 20)}`, method: 'PUT', path: `/v1/users/${user}`, body: { email: 'a@example.com' }, status: 400 })),
  { what: 'no e-mail', method: 'PUT', path: `/v1/users/${ann}`, body: { name: 'n' }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'an invalid e-mail', method: 'PUT', path: `/v1/users/${ann}`, body: { email: 'nope' }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a number for the e-mail', method: 'PUT', path: `/v1/users/${ann}`, body: { email: 1 }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'an invalid passwordChangedAt', method: 'PUT', path: `/v1/users/${ann}`, body: { email: 'a@example.com', passwordChangedAt: '2024-13-45' }, status: 400 },
  { what: 'a number for passwordChangedAt', method: 'PUT', path: `/v1/users/${ann}`, body: { email: 'a@example.com', passwordChangedAt: 1700000000 }, status: 400 },

  // POST and GET /v1/orgs/:org/roles
  ...malformedBodies('POST', `/v1/orgs/${org}/roles`),
  { what: 'no name', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { permissions: [] }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'no permissions', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 'fresh' }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'permissions as a string', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 'fresh', permissions: 'deals.view' }, status: 400 },
  { what: 'a number among permissions', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 'fresh', permissions: [1] }, status: 400 },
  { what: 'a number for the name', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 7, permissions: [] }, status: 400 },
  { what: 'inherits as a string', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 'fresh', permissions: [], inherits: 'viewer' }, status: 400 },
  { what: 'a null inherits', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 'fresh', permissions: [], inherits: null }, status: 400 },
  { what: 'a permission twice', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 'fresh', permissions: ['deals.view', 'deals.view'] }, status: 400 },
  { what: '1,001 permissions', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 'fresh', permissions: Array.from({ length: 1001 }, (_, i) => `p.k${i}`) }, status: 400 },
  ...invalidKeys.map((key) => ({ what: `permission ${JSON.stringify(key.slice(0, 20))}`, method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 'fresh', permissions: [key] }, status: 400, code: 'LK_ERR_VALIDATION' })),
  ...['-lead', '.dot', 'sp ace', 'x'.repeat(65), 'sl/ash', 'café', ''].map((name) => ({
    what: `role name ${JSON.stringify(name.slice(0, 20))}`, method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name, permissions: [] }, status: 400, code: 'LK_ERR_VALIDATION',
  })),
  { what: 'an invalid name among inherits', method: 'POST', path: `/v1/orgs/${org}/roles`, body: { name: 'fresh', permissions: [], inherits: ['bad name'] }, status: 400 },
  ...invalidSlugs.flatMap((slug) => [
    { what: `GET roles of slug ${slug.slice(0, 20)}`, method: 'GET', path: `/v1/orgs/${slug}/roles`, status: 400 },
    { what: `POST role in slug ${slug.slice(0, 20)}`, method: 'POST', path: `/v1/orgs/${slug}/roles`, body: { name: 'fresh', permissions: [] }, status: 400 },
  ]),

  // GET, PUT, DELETE /v1/orgs/:org/roles/:role
  ...invalidRoleNames.flatMap((role) => [
    { what: `GET role ${role.slice(0, 20)}`, method: 'GET', path: `/v1/orgs/${org}/roles/${role}`, status: 400 },
    { what: `PUT role ${role.slice(0, 20)}`, method: 'PUT', path: `/v1/orgs/${org}/roles/${role}`, body: { permissions: [] }, status: 400 },
    { what: `DELETE role ${role.slice(0, 20)}`, method: 'DELETE', path: `/v1/orgs/${org}/roles/${role}`, status: 400 },
  ]),
  { what: 'GET role in an invalid slug', method: 'GET', path: '/v1/orgs/BAD/roles/viewer', status: 400 },
  { what: 'PUT role in an invalid slug', method: 'PUT', path: '/v1/orgs/BAD/roles/viewer', body: { permissions: [] }, status: 400 },
  { what: 'DELETE role in an invalid slug', method: 'DELETE', path: '/v1/orgs/BAD/roles/viewer', status: 400 },
  ...malformedBodies('PUT', `/v1/orgs/${org}/roles/viewer`),
  { what: 'no permissions', method: 'PUT', path: `/v1/orgs/${org}/roles/viewer`, body: { inherits: [] }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'permissions as an object', method: 'PUT', path: `/v1/orgs/${org}/roles/viewer`, body: { permissions: { a: 1 } }, status: 400 },
  { what: 'an over-long key', method: 'PUT', path: `/v1/orgs/${org}/roles/viewer`, body: { permissions: [key129] }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'an invalid key', method: 'PUT', path: `/v1/orgs/${org}/roles/viewer`, body: { permissions: ['DEALS.VIEW'] }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a number among inherits', method: 'PUT', path: `/v1/orgs/${org}/roles/editor`, body: { permissions: [], inherits: [3] }, status: 400 },
  { what: '101 inherits', method: 'PUT', path: `/v1/orgs/${org}/roles/editor`, body: { permissions: [], inherits: Array.from({ length: 101 }, (_, i) => `r${i}`) }, status: 400 },

  // PUT and DELETE /v1/orgs/:org/members/:user
  ...malformedBodies('PUT', `/v1/orgs/${org}/members/${ann}`),
  { what: 'no roles', method: 'PUT', path: `/v1/orgs/${org}/members/${ann}`, body: {}, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'roles as a string', method: 'PUT', path: `/v1/orgs/${org}/members/${ann}`, body: { roles: 'viewer' }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a number among roles', method: 'PUT', path: `/v1/orgs/${org}/members/${ann}`, body: { roles: [1] }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'an invalid role name', method: 'PUT', path: `/v1/orgs/${org}/members/${ann}`, body: { roles: ['not valid'] }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a role twice', method: 'PUT', path: `/v1/orgs/${org}/members/${ann}`, body: { roles: ['viewer', 'viewer'] }, status: 400 },
  ...invalidUserIds.flatMap((user) => [
    { what: `PUT member ${user.slice(0, 20)}`, method: 'PUT', path: `/v1/orgs/${org}/members/${user}`, body: { roles: ['viewer'] }, status: 400 },
    { what: `DELETE member ${user.slice(0, 20)}`, method: 'DELETE', path: `/v1/orgs/${org}/members/${user}`, status: 400 },
    { what: `GET permissions of ${user.slice(0, 20)}`, method: 'GET', path: `/v1/orgs/${org}/members/${user}/permissions`, status: 400 },
  ]),
  ...invalidSlugs.flatMap((slug) => [
    { what: `PUT member in slug ${slug.slice(0, 20)}`, method: 'PUT', path: `/v1/orgs/${slug}/members/${ann}`, body: { roles: [] }, status: 400 },
    { what: `DELETE member in slug ${slug.slice(0, 20)}`, method: 'DELETE', path: `/v1/orgs/${slug}/members/${ann}`, status: 400 },
    { what: `GET permissions in slug ${slug.slice(0, 20)}`, method: 'GET', path: `/v1/orgs/${slug}/members/${ann}/permissions`, status: 400 },
  ]),

  // GET /v1/orgs/:org/members/:user/permissions?atLeastRevision=
  ...invalidRevisions.map((rev) => ({
    what: `atLeastRevision=${rev}`, method: 'GET', path: `/v1/orgs/${org}/members/${ann}/permissions?atLeastRevision=${encodeURIComponent(rev)}`, status: 400, code: 'LK_ERR_VALIDATION',
  })),

  // POST /v1/check
  ...malformedBodies('POST', '/v1/check'),
  ...(['org', 'user', 'permission'] as const).flatMap((field) => [
    { what: `no ${field}`, method: 'POST', path: '/v1/check', body: { ...validCheck, [field]: undefined }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: `a number for ${field}`, method: 'POST', path: '/v1/check', body: { ...validCheck, [field]: 42 }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: `null for ${field}`, method: 'POST', path: '/v1/check', body: { ...validCheck, [field]: null }, status: 400, code: 'LK_ERR_VALIDATION' },
  ]),
  ...['UPPER', 'a', 'x'.repeat(64)].map((o) => ({ what: `check org ${o.slice(0, 20)}`, method: 'POST', path: '/v1/check', body: { ...validCheck, org: o }, status: 400, code: 'LK_ERR_VALIDATION' })),
  ...['sp ace', 'u'.repeat(129), '', 'pi|pe'].map((u) => ({ what: `check user ${JSON.stringify(u.slice(0, 20))}`, method: 'POST', path: '/v1/check', body: { ...validCheck, user: u }, status: 400, code: 'LK_ERR_VALIDATION' })),
  ...invalidKeys.map((key) => ({ what: `check permission ${JSON.stringify(key.slice(0, 20))}`, method: 'POST', path: '/v1/check', body: { ...validCheck, permission: key }, status: 400, code: 'LK_ERR_VALIDATION' })),
  ...[...invalidRevisions, -1, 1.5, true, [], {}, 1e16].map((rev) => ({
    what: `check atLeastRevision ${JSON.stringify(rev)}`, method: 'POST', path: '/v1/check', body: { ...validCheck, atLeastRevision: rev }, status: 400, code: 'LK_ERR_VALIDATION',
  })),

  // POST /v1/check/bulk
  ...malformedBodies('POST', '/v1/check/bulk'),
  { what: 'no checks', method: 'POST', path: '/v1/check/bulk', body: {}, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'checks as an object', method: 'POST', path: '/v1/check/bulk', body: { checks: validCheck }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'an empty list of checks', method: 'POST', path: '/v1/check/bulk', body: { checks: [] }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: '1,001 checks', method: 'POST', path: '/v1/check/bulk', body: { checks: Array.from({ length: 1001 }, () => validCheck) }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'one bad check among good ones', method: 'POST', path: '/v1/check/bulk', body: { checks: [validCheck, { ...validCheck, permission: 'BAD' }, validCheck] }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a number among checks', method: 'POST', path: '/v1/check/bulk', body: { checks: [validCheck, 5] }, status: 400, code: 'LK_ERR_VALIDATION' },
  { what: 'a bad atLeastRevision in a bulk check', method: 'POST', path: '/v1/check/bulk', body: { checks: [{ ...validCheck, atLeastRevision: 'x' }] }, status: 400, code: 'LK_ERR_VALIDATION' },
]

// Bodies over the 1 MiB limit, on every route that takes one.
const bigText = 'x'.repeat(1024 * 1024 + 1)
const bodyRoutes: [string, string][] = [
  ['POST', '/v1/permissions'],
  ['POST', '/v1/orgs'],
  ['PATCH', `/v1/orgs/${org}`],
  ['PUT', `/v1/users/${ann}`],
  ['POST', `/v1/orgs/${org}/roles`],
  ['PUT', `/v1/orgs/${org}/roles/viewer`],
  ['PUT', `/v1/orgs/${org}/members/${ann}`],
  ['POST', '/v1/check'],
  ['POST', '/v1/check/bulk'],
]
for (const [method, path] of bodyRoutes) {
  requests.push({ what: 'a body over 1 MiB', method, path, body: { name: bigText, slug: 'big', email: 'a@b.c', permissions: [], roles: [], key: 'a.b' }, status: 413, code: 'LK_ERR_BODY_TOO_LARGE' })
}
requests.push({
  what: 'a bulk check over 1 MiB', method: 'POST', path: '/v1/check/bulk',
  body: { checks: Array.from({ length: 1000 }, () => ({ ...validCheck, user: 'u'.repeat(128), permission: `a.${'b'.repeat(126)}`.slice(0, 128), org: 'o'.repeat(63), atLeastRevision: '1'.repeat(15), pad: 'p'.repeat(800) })) },
  status: 413, code: 'LK_ERR_BODY_TOO_LARGE',
})

async function send(r: BadRequest): Promise<JsonResponse> {
  const headers: Record<string, string> = {}
  if (r.contentType !== undefined) headers['content-type'] = r.contentType
  return client.request(r.method, r.path, r.body, r.raw !== undefined ? { raw: r.raw, headers } : { headers })
}

t.test('every route answers malformed input with a 4xx in the contract’s error shape, and changes nothing', async (t) => {
  const countsBefore = await tableCounts(dbUrl)
  const orgBefore = (await client.get(`/v1/orgs/${org}`)).body
  const rolesBefore = (await client.get(`/v1/orgs/${org}/roles`)).body
  const userBefore = (await client.put(`/v1/users/${ann}`, { email: 'ann@example.com', name: 'Ann' })).body
  const countsAfterUser = await tableCounts(dbUrl)
  t.equal(countsAfterUser.outbox_events, countsBefore.outbox_events! + 1, 'setting the baseline user wrote one event')

  const serverErrors: string[] = []
  const routesHit = new Set<string>()
  for (const r of requests) {
    const res = await send(r)
    const label = `${r.method} ${r.path.slice(0, 60)} — ${r.what}`
    if (res.status >= 500) serverErrors.push(`${label}: ${res.status} ${res.text.slice(0, 200)}`)
    t.ok(res.status >= 400 && res.status < 500, `${label}: a 4xx (got ${res.status})`, { response: res.text.slice(0, 300) })
    assertErrorShape(t, res, label)
    if (r.status !== undefined) t.equal(res.status, r.status, `${label}: ${r.status}`, { response: res.text.slice(0, 300) })
    if (r.code !== undefined) t.equal(res.body?.code, r.code, `${label}: ${r.code}`)
    routesHit.add(`${r.method} ${r.path.split('?')[0]!.replace(/^\/v1\/orgs\/[^/]+/, '/v1/orgs/:org').replace(/\/roles\/[^/]+$/, '/roles/:role').replace(/\/members\/[^/]+/, '/members/:user').replace(/^\/v1\/users\/.+$/, '/v1/users/:user')}`)
  }
  t.same(serverErrors, [], 'no request got a 5xx')
  t.same([...routesHit].sort(), [
    'DELETE /v1/orgs/:org',
    'DELETE /v1/orgs/:org/members/:user',
    'DELETE /v1/orgs/:org/roles/:role',
    'GET /v1/orgs/:org',
    'GET /v1/orgs/:org/members/:user/permissions',
    'GET /v1/orgs/:org/roles',
    'GET /v1/orgs/:org/roles/:role',
    'PATCH /v1/orgs/:org',
    'POST /v1/check',
    'POST /v1/check/bulk',
    'POST /v1/orgs',
    'POST /v1/orgs/:org/roles',
    'POST /v1/permissions',
    'PUT /v1/orgs/:org/members/:user',
    'PUT /v1/orgs/:org/roles/:role',
    'PUT /v1/users/:user',
  ], 'every route with an input was sent bad input')

  t.same(await tableCounts(dbUrl), countsAfterUser, 'no row was added or removed in any table (outbox included)')
  t.same((await client.get(`/v1/orgs/${org}`)).body, orgBefore, 'the organization (name, revision) is unchanged')
  t.same((await client.get(`/v1/orgs/${org}/roles`)).body, rolesBefore, 'its roles are unchanged')
  t.same((await client.get(`/v1/orgs/${org}/members/${ann}/permissions`)).body.permissions, ['deals.view'], 'the membership is unchanged')
  t.same((await client.put(`/v1/users/${ann}`, { email: 'ann@example.com', name: 'Ann' })).body, userBefore, 'the user is unchanged')
  t.same((await client.get('/v1/permissions')).body.items.map((p: { key: string }) => p.key), ['deals.edit', 'deals.view'], 'the catalog is unchanged')
})

t.test('GET /v1/permissions takes no input; junk around it changes nothing', async (t) => {
  const res = await client.request('GET', '/v1/permissions?unknown=1&atLeastRevision=abc', undefined, { headers: { 'content-type': 'text/plain' } })
  t.equal(res.status, 200, 'unknown query parameters are ignored')
  t.same(res.body.items.map((p: { key: string }) => p.key), ['deals.edit', 'deals.view'])
})

t.test('unknown routes and methods answer 404 in the contract’s error shape', async (t) => {
  assertApiError(t, await client.get('/v1/nothing-here'), 404, 'LK_ERR_ROUTE_NOT_FOUND', 'unknown path')
  assertApiError(t, await client.request('PATCH', '/v1/check', {}), 404, 'LK_ERR_ROUTE_NOT_FOUND', 'unknown method on a known path')
})

t.test('the limits themselves are accepted: a 128-character key, a 63-character slug, a 64-character role name', async (t) => {
  const key128 = `a.${'b'.repeat(126)}`
  t.equal(key128.length, 128)
  t.equal((await client.post('/v1/permissions', { key: key128 })).status, 201, 'a 128-character key')
  const slug = `s${'x'.repeat(54)}-${Math.random().toString(16).slice(2, 9)}`.slice(0, 63)
  t.equal(slug.length, 63)
  t.equal((await client.post('/v1/orgs', { slug, name: 'Long' })).status, 201, 'a 63-character slug')
  const role = `R${'x'.repeat(63)}`
  const created = await client.post(`/v1/orgs/${slug}/roles`, { name: role, permissions: [key128] })
  t.equal(created.status, 201, 'a 64-character role name with a 128-character key')
  t.equal((await client.get(`/v1/orgs/${slug}/roles/${role}`)).body.effectivePermissions[0], key128, 'read back by its name')
  t.equal((await client.post('/v1/check', { org: slug, user: 'u'.repeat(128), permission: key128 })).body.allowed, false, 'a 128-character user id checks')
})
