// Users (global, upserted by the host application) and memberships (a user's roles in an
// organization).
import t from 'tap'
import { createOrgFixture, createUser, jsonClient, queryDatabase, uniqueSlug, uniqueUser } from '@latchkey/testing'
import { assertApiError, checkAllowed, orgRevision, startPermissionApp } from './helpers.ts'

const testApp = await startPermissionApp(t)
const client = jsonClient(testApp.url)
const dbUrl = testApp.config.DATABASE_URL

const userRow = async (id: string) => (await queryDatabase(dbUrl, 'SELECT id, email, name FROM users WHERE id = $1', [id]))[0]

t.test('PUT /v1/users/:user creates a user, then updates it (upsert)', async (t) => {
  const id = uniqueUser('ann')
  const created = await client.put(`/v1/users/${id}`, { email: 'ann@example.com', name: 'Ann' })
  t.equal(created.status, 200)
  t.same(created.body, { id, email: 'ann@example.com', name: 'Ann', passwordChangedAt: null }, 'answers {id, email, name, passwordChangedAt}')

  const updated = await client.put(`/v1/users/${id}`, { email: 'ann.new@example.com', name: 'Ann N.' })
  t.equal(updated.status, 200)
  t.same(updated.body, { id, email: 'ann.new@example.com', name: 'Ann N.', passwordChangedAt: null }, 'the same id again updates it')
  t.same(await userRow(id), { id, email: 'ann.new@example.com', name: 'Ann N.' }, 'one row, holding the new values')

  const minimal = await client.put(`/v1/users/${id}`, { email: 'ann.new@example.com' })
  t.same(minimal.body, { id, email: 'ann.new@example.com', name: null, passwordChangedAt: null }, 'PUT replaces: an omitted name becomes null')
})

t.test('passwordChangedAt round-trips as an ISO 8601 instant', async (t) => {
  const id = uniqueUser('pwd')
  const set = await client.put(`/v1/users/${id}`, { email: 'pwd@example.com', passwordChangedAt: '2024-03-01T12:34:56.789Z' })
  t.equal(set.status, 200)
  t.equal(set.body.passwordChangedAt, '2024-03-01T12:34:56.789Z', 'the same instant comes back')

  const offset = await client.put(`/v1/users/${id}`, { email: 'pwd@example.com', passwordChangedAt: '2024-03-01T14:34:56+02:00' })
  t.equal(offset.status, 200)
  t.equal(offset.body.passwordChangedAt, '2024-03-01T12:34:56.000Z', 'an offset is kept as the same instant, in UTC')
  const stored = await queryDatabase(dbUrl, 'SELECT password_changed_at FROM users WHERE id = $1', [id])
  t.equal((stored[0].password_changed_at as Date).toISOString(), '2024-03-01T12:34:56.000Z', 'stored as that instant')

  const cleared = await client.put(`/v1/users/${id}`, { email: 'pwd@example.com', passwordChangedAt: null })
  t.equal(cleared.body.passwordChangedAt, null, 'null clears it')
})

t.test('user ids and e-mail addresses are validated; a refused PUT creates nothing', async (t) => {
  const id = uniqueUser('val')
  for (const [what, body] of [
    ['an e-mail without @', { email: 'not-an-email' }],
    ['an empty e-mail', { email: '' }],
    ['no e-mail', { name: 'No Mail' }],
    ['a number for the e-mail', { email: 42 }],
    ['a date that is not one', { email: 'val@example.com', passwordChangedAt: 'yesterday' }],
    ['a number for the name', { email: 'val@example.com', name: 7 }],
  ] as const) {
    assertApiError(t, await client.put(`/v1/users/${id}`, body), 400, 'LK_ERR_VALIDATION', what)
  }
  t.equal(await userRow(id), undefined, 'no user was created')

  for (const [what, badId] of [
    ['a space', 'bad%20id'],
    ['a slash', 'bad%2Fid'],
    ['129 characters', 'u'.repeat(129)],
    ['a pipe', 'auth0%7C123'],
  ] as const) {
    assertApiError(t, await client.put(`/v1/users/${badId}`, { email: 'x@example.com' }), 400, /^LK_ERR_(VALIDATION|BAD_REQUEST)$/, `an id with ${what}`)
  }

  for (const goodId of ['u'.repeat(128), `ann@example.com.${uniqueUser('x')}`, `google-oauth2:${uniqueUser('1')}`, `A_b.c-${uniqueUser('d')}`]) {
    const res = await client.put(`/v1/users/${encodeURIComponent(goodId)}`, { email: 'ok@example.com' })
    t.equal(res.status, 200, `the id ${goodId.slice(0, 40)} is accepted`)
    t.equal(res.body.id, goodId, 'and answered as given')
  }
})

t.test('a user upsert is global: it moves no organization’s revision', async (t) => {
  const fx = await createOrgFixture(client, { roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'] } })
  await client.put(`/v1/users/${fx.users.ann}`, { email: 'changed@example.com', name: 'Changed' })
  t.equal(await orgRevision(client, fx.slug), fx.revision)
  t.equal((await checkAllowed(client, { org: fx.slug, user: fx.users.ann, permission: 'deals.view' })).allowed, true, 'and keeps the memberships')
})

t.test('PUT member sets the roles a user holds, replacing the previous ones', async (t) => {
  const fx = await createOrgFixture(client, {
    permissions: ['deals.view', 'deals.edit', 'reports.view'],
    roles: { viewer: { permissions: ['deals.view'] }, editor: { permissions: ['deals.edit'] }, reporter: { permissions: ['reports.view'] } },
    users: ['bob'],
  })
  const bob = fx.users.bob
  const set = await client.put(`/v1/orgs/${fx.slug}/members/${bob}`, { roles: ['viewer', 'reporter'] })
  t.equal(set.status, 200)
  t.same(set.body, { user: bob, roles: ['reporter', 'viewer'], revision: String(Number(fx.revision) + 1) }, 'answers {user, roles (sorted), revision}')
  t.same((await client.get(`/v1/orgs/${fx.slug}/members/${bob}/permissions`)).body.permissions, ['deals.view', 'reports.view'],
    'several roles: the union of their permissions')

  const replaced = await client.put(`/v1/orgs/${fx.slug}/members/${bob}`, { roles: ['editor'] })
  t.same(replaced.body.roles, ['editor'])
  t.same((await client.get(`/v1/orgs/${fx.slug}/members/${bob}/permissions`)).body.permissions, ['deals.edit'], 'the previous roles are gone')
  t.equal((await checkAllowed(client, { org: fx.slug, user: bob, permission: 'reports.view' })).allowed, false)
})

t.test('PUT member of an unknown user is 404 LK_ERR_USER_NOT_FOUND and changes nothing', async (t) => {
  const fx = await createOrgFixture(client, { roles: { viewer: { permissions: ['deals.view'] } } })
  const ghost = uniqueUser('ghost')
  const res = await client.put(`/v1/orgs/${fx.slug}/members/${ghost}`, { roles: ['viewer'] })
  assertApiError(t, res, 404, 'LK_ERR_USER_NOT_FOUND')
  t.match(res.body.message, new RegExp(`PUT /v1/users/${ghost.replace('.', '\\.')}`), 'the message says how to create the user')
  t.equal(await orgRevision(client, fx.slug), fx.revision, 'the revision is unchanged')
  t.equal((await queryDatabase(dbUrl, 'SELECT count(*)::int AS n FROM member_roles WHERE user_id = $1', [ghost]))[0].n, 0, 'no membership row')
  t.equal(await userRow(ghost), undefined, 'no user was created on the way')
})

t.test('PUT member naming an unknown role is refused with an LK_ code and changes nothing', async (t) => {
  const fx = await createOrgFixture(client, { roles: { viewer: { permissions: ['deals.view'] } }, members: { cid: ['viewer'] } })
  const res = await client.put(`/v1/orgs/${fx.slug}/members/${fx.users.cid}`, { roles: ['viewer', 'overlord'] })
  assertApiError(t, res, 422, 'LK_ERR_UNKNOWN_ROLE')
  t.match(res.body.message, /overlord/, 'the message names the unknown role')
  t.equal(await orgRevision(client, fx.slug), fx.revision, 'the revision is unchanged')
  t.same((await client.get(`/v1/orgs/${fx.slug}/members/${fx.users.cid}/permissions`)).body.permissions, ['deals.view'], 'the membership is unchanged')
})

t.test('PUT member in an unknown organization is 404 LK_ERR_ORG_NOT_FOUND', async (t) => {
  const user = uniqueUser('dee')
  await createUser(client, user)
  assertApiError(t, await client.put(`/v1/orgs/${uniqueSlug('nowhere')}/members/${user}`, { roles: [] }), 404, 'LK_ERR_ORG_NOT_FOUND')
})

t.test('DELETE member removes every role of the user; a non-member is 404', async (t) => {
  const fx = await createOrgFixture(client, {
    roles: { viewer: { permissions: ['deals.view'] }, editor: { permissions: ['deals.edit'] } },
    members: { eve: ['viewer', 'editor'], fay: ['viewer'] },
    users: ['gus'],
  })
  t.equal((await checkAllowed(client, { org: fx.slug, user: fx.users.eve, permission: 'deals.edit' })).allowed, true, 'before: allowed')

  const removed = await client.delete(`/v1/orgs/${fx.slug}/members/${fx.users.eve}`)
  t.equal(removed.status, 200)
  t.same(removed.body, { revision: String(Number(fx.revision) + 1) })
  t.equal((await checkAllowed(client, { org: fx.slug, user: fx.users.eve, permission: 'deals.edit' })).allowed, false, 'after: denied')
  t.equal((await checkAllowed(client, { org: fx.slug, user: fx.users.eve, permission: 'deals.view' })).allowed, false, 'every role went')
  t.equal((await checkAllowed(client, { org: fx.slug, user: fx.users.fay, permission: 'deals.view' })).allowed, true, 'other members keep theirs')
  t.ok(await userRow(fx.users.eve), 'the user itself still exists')

  const revision = await orgRevision(client, fx.slug)
  assertApiError(t, await client.delete(`/v1/orgs/${fx.slug}/members/${fx.users.eve}`), 404, 'LK_ERR_MEMBER_NOT_FOUND', 'removed twice')
  assertApiError(t, await client.delete(`/v1/orgs/${fx.slug}/members/${fx.users.gus}`), 404, 'LK_ERR_MEMBER_NOT_FOUND', 'a user who never was a member')
  assertApiError(t, await client.delete(`/v1/orgs/${fx.slug}/members/${uniqueUser('nobody')}`), 404, 'LK_ERR_MEMBER_NOT_FOUND', 'an unknown user')
  assertApiError(t, await client.delete(`/v1/orgs/${uniqueSlug('nowhere')}/members/${fx.users.fay}`), 404, 'LK_ERR_ORG_NOT_FOUND', 'an unknown organization')
  t.equal(await orgRevision(client, fx.slug), revision, 'refused deletions do not move the revision')

  const rejoined = await client.put(`/v1/orgs/${fx.slug}/members/${fx.users.eve}`, { roles: ['viewer'] })
  t.equal(rejoined.status, 200, 'a removed member can join again')
  t.equal((await checkAllowed(client, { org: fx.slug, user: fx.users.eve, permission: 'deals.view' })).allowed, true)
})
