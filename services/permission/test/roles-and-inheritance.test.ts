// Roles: their own permissions, inheritance (transitive), replacement with PUT, deletion, cycles,
// and what members can do as roles change.
import t from 'tap'
import { createOrgFixture, ensurePermissions, jsonClient, queryDatabase } from '@latchkey/testing'
import { assertApiError, checkAllowed, orgRevision, startPermissionApp, tableCounts } from './helpers.ts'

const testApp = await startPermissionApp(t)
const client = jsonClient(testApp.url)
const dbUrl = testApp.config.DATABASE_URL

const keys = ['deals.view', 'deals.edit', 'deals.delete', 'reports.view', 'billing.manage']
await ensurePermissions(client, keys)

const can = async (org: string, user: string, permission: string) => (await checkAllowed(client, { org, user, permission })).allowed

t.test('a role is created with its permissions and inherits, and read back', async (t) => {
  const fx = await createOrgFixture(client, { roles: { viewer: { permissions: ['deals.view'] } } })
  const created = await client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'editor', permissions: ['deals.edit', 'reports.view'], inherits: ['viewer'] })
  t.equal(created.status, 201)
  t.same(created.body, { name: 'editor', permissions: ['deals.edit', 'reports.view'], inherits: ['viewer'], revision: '3' })

  const one = await client.get(`/v1/orgs/${fx.slug}/roles/editor`)
  t.equal(one.status, 200)
  t.same(one.body, {
    name: 'editor',
    permissions: ['deals.edit', 'reports.view'],
    inherits: ['viewer'],
    effectivePermissions: ['deals.edit', 'deals.view', 'reports.view'],
  }, 'GET one role shows own, inherited and effective permissions')

  const list = await client.get(`/v1/orgs/${fx.slug}/roles`)
  t.equal(list.status, 200)
  t.same(list.body, {
    items: [
      { name: 'editor', permissions: ['deals.edit', 'reports.view'], inherits: ['viewer'], effectivePermissions: ['deals.edit', 'deals.view', 'reports.view'] },
      { name: 'viewer', permissions: ['deals.view'], inherits: [], effectivePermissions: ['deals.view'] },
    ],
  }, 'GET roles lists every role with its effectivePermissions')

  assertApiError(t, await client.get(`/v1/orgs/${fx.slug}/roles/nobody`), 404, 'LK_ERR_ROLE_NOT_FOUND', 'GET of an unknown role')
})

t.test('a role without permissions or inherits is valid; a second role of the same name is 409', async (t) => {
  const fx = await createOrgFixture(client)
  const created = await client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'empty', permissions: [] })
  t.equal(created.status, 201)
  t.same(created.body, { name: 'empty', permissions: [], inherits: [], revision: '2' })
  assertApiError(t, await client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'empty', permissions: ['deals.view'] }), 409, 'LK_ERR_ROLE_EXISTS', 'duplicate')
  t.equal(await orgRevision(client, fx.slug), '2', 'the refused duplicate did not move the revision')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles/empty`)).body.permissions, [], 'nor change the role')
})

t.test('inheritance is transitive: a member of A has the permissions of C through B', async (t) => {
  const fx = await createOrgFixture(client, {
    roles: {
      c: { permissions: ['reports.view'] },
      b: { permissions: ['deals.view'], inherits: ['c'] },
      a: { permissions: ['deals.edit'], inherits: ['b'] },
    },
    members: { ann: ['a'], bob: ['b'], cid: ['c'] },
  })
  t.ok(await can(fx.slug, fx.users.ann, 'reports.view'), 'a member of A has C’s permission')
  t.ok(await can(fx.slug, fx.users.ann, 'deals.view'), 'a member of A has B’s permission')
  t.ok(await can(fx.slug, fx.users.ann, 'deals.edit'), 'a member of A has A’s own permission')
  t.ok(await can(fx.slug, fx.users.bob, 'reports.view'), 'a member of B has C’s permission')
  t.notOk(await can(fx.slug, fx.users.bob, 'deals.edit'), 'a member of B does not have A’s permission (inheritance goes one way)')
  t.notOk(await can(fx.slug, fx.users.cid, 'deals.view'), 'a member of C does not have B’s permission')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles/a`)).body.effectivePermissions, ['deals.edit', 'deals.view', 'reports.view'])

  // A change at the bottom of the chain reaches the top at once.
  await client.put(`/v1/orgs/${fx.slug}/roles/c`, { permissions: ['reports.view', 'billing.manage'] })
  t.ok(await can(fx.slug, fx.users.ann, 'billing.manage'), 'a permission added to C reaches the member of A')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles/a`)).body.effectivePermissions, ['billing.manage', 'deals.edit', 'deals.view', 'reports.view'])
  const perms = await client.get(`/v1/orgs/${fx.slug}/members/${fx.users.ann}/permissions`)
  t.same(perms.body.permissions, ['billing.manage', 'deals.edit', 'deals.view', 'reports.view'], 'the member’s permission list follows')
})

t.test('PUT replaces both permissions and inheritance, and checks flip accordingly', async (t) => {
  const fx = await createOrgFixture(client, {
    roles: {
      base: { permissions: ['reports.view'] },
      editor: { permissions: ['deals.view', 'deals.edit'], inherits: ['base'] },
    },
    members: { eve: ['editor'] },
  })
  const user = fx.users.eve
  t.ok(await can(fx.slug, user, 'deals.edit'), 'before: allowed deals.edit')
  t.ok(await can(fx.slug, user, 'reports.view'), 'before: allowed reports.view through base')
  t.notOk(await can(fx.slug, user, 'deals.delete'), 'before: denied deals.delete')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles/editor`)).body.effectivePermissions, ['deals.edit', 'deals.view', 'reports.view'],
    'before: the role’s effective permissions (now cached)')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles`)).body.items.map((r: { inherits: string[] }) => r.inherits), [[], ['base']],
    'before: the role list (now cached)')

  const replaced = await client.put(`/v1/orgs/${fx.slug}/roles/editor`, { permissions: ['deals.view', 'deals.delete'] })
  t.equal(replaced.status, 200)
  t.same(replaced.body, { name: 'editor', permissions: ['deals.delete', 'deals.view'], inherits: [], revision: String(Number(fx.revision) + 1) },
    'an omitted inherits means none')
  t.notOk(await can(fx.slug, user, 'deals.edit'), 'after: a check that was allowed is denied once the role loses the permission')
  t.notOk(await can(fx.slug, user, 'reports.view'), 'after: the inherited permission is gone with the inheritance')
  t.ok(await can(fx.slug, user, 'deals.delete'), 'after: the new permission is allowed')
  t.ok(await can(fx.slug, user, 'deals.view'), 'after: the kept permission stays allowed')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles/editor`)).body, {
    name: 'editor', permissions: ['deals.delete', 'deals.view'], inherits: [], effectivePermissions: ['deals.delete', 'deals.view'],
  }, 'after: GET of the role shows the replacement')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles`)).body.items.map((r: { inherits: string[] }) => r.inherits), [[], []],
    'after: the role list shows it too')

  const back = await client.put(`/v1/orgs/${fx.slug}/roles/editor`, { permissions: [], inherits: ['base'] })
  t.same(back.body.inherits, ['base'])
  t.ok(await can(fx.slug, user, 'reports.view'), 'inheritance given back: allowed again')
  t.notOk(await can(fx.slug, user, 'deals.view'), 'permissions replaced by an empty list: denied')
})

t.test('PUT of a role that does not exist is 404 and creates nothing', async (t) => {
  const fx = await createOrgFixture(client)
  assertApiError(t, await client.put(`/v1/orgs/${fx.slug}/roles/ghost`, { permissions: ['deals.view'] }), 404, 'LK_ERR_ROLE_NOT_FOUND')
  t.equal(await orgRevision(client, fx.slug), fx.revision, 'revision unchanged')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles`)).body, { items: [] }, 'no role was created')
})

t.test('cycles are refused with 409 LK_ERR_ROLE_CYCLE and change nothing', async (t) => {
  const fx = await createOrgFixture(client, {
    roles: {
      a: { permissions: ['deals.view'] },
      b: { permissions: ['deals.edit'], inherits: ['a'] },
      c: { permissions: ['reports.view'], inherits: ['b'] },
    },
    members: { ann: ['a'] },
  })
  const before = await tableCounts(dbUrl)
  const rolesBefore = (await client.get(`/v1/orgs/${fx.slug}/roles`)).body

  assertApiError(t, await client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'selfish', permissions: [], inherits: ['selfish'] }), 409, 'LK_ERR_ROLE_CYCLE',
    'a new role inheriting itself')
  assertApiError(t, await client.put(`/v1/orgs/${fx.slug}/roles/a`, { permissions: ['deals.view'], inherits: ['a'] }), 409, 'LK_ERR_ROLE_CYCLE',
    'an existing role inheriting itself')
  assertApiError(t, await client.put(`/v1/orgs/${fx.slug}/roles/a`, { permissions: ['deals.view'], inherits: ['b'] }), 409, 'LK_ERR_ROLE_CYCLE',
    'A → B → A')
  assertApiError(t, await client.put(`/v1/orgs/${fx.slug}/roles/a`, { permissions: ['billing.manage'], inherits: ['c'] }), 409, 'LK_ERR_ROLE_CYCLE',
    'A → C → B → A')

  t.equal(await orgRevision(client, fx.slug), fx.revision, 'the revision is unchanged')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles`)).body, rolesBefore, 'the roles are unchanged')
  t.same(await tableCounts(dbUrl), before, 'no row was added or removed (outbox included)')
  t.notOk(await can(fx.slug, fx.users.ann, 'billing.manage'), 'the refused PUT granted nothing')
  t.ok(await can(fx.slug, fx.users.ann, 'deals.view'), 'and took nothing away')
})

t.test('a role inherited by another cannot be deleted; once free it can, and its members lose it', async (t) => {
  const fx = await createOrgFixture(client, {
    roles: {
      base: { permissions: ['reports.view'] },
      editor: { permissions: ['deals.edit'], inherits: ['base'] },
    },
    members: { ann: ['base'], bob: ['editor'] },
  })
  const refused = await client.delete(`/v1/orgs/${fx.slug}/roles/base`)
  assertApiError(t, refused, 409, 'LK_ERR_ROLE_INHERITED', 'DELETE while inherited')
  t.match(refused.body.message, /editor/, 'the message names the role that inherits it')
  t.equal(await orgRevision(client, fx.slug), fx.revision, 'the refused delete did not move the revision')
  t.ok(await can(fx.slug, fx.users.ann, 'reports.view'), 'its member keeps the permission')

  await client.put(`/v1/orgs/${fx.slug}/roles/editor`, { permissions: ['deals.edit'] })
  t.notOk(await can(fx.slug, fx.users.bob, 'reports.view'), 'editor no longer inherits base')
  const deleted = await client.delete(`/v1/orgs/${fx.slug}/roles/base`)
  t.equal(deleted.status, 200)
  t.same(deleted.body, { revision: String(Number(fx.revision) + 2) })

  t.notOk(await can(fx.slug, fx.users.ann, 'reports.view'), 'a member of the deleted role loses its permission')
  const perms = await client.get(`/v1/orgs/${fx.slug}/members/${fx.users.ann}/permissions`)
  t.same(perms.body.permissions, [], 'and has no permission left')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles`)).body.items.map((r: { name: string }) => r.name), ['editor'], 'the role is gone from the list')
  assertApiError(t, await client.get(`/v1/orgs/${fx.slug}/roles/base`), 404, 'LK_ERR_ROLE_NOT_FOUND', 'GET of the deleted role')
  assertApiError(t, await client.delete(`/v1/orgs/${fx.slug}/roles/base`), 404, 'LK_ERR_ROLE_NOT_FOUND', 'deleting it again')
  const rows = await queryDatabase(dbUrl, 'SELECT count(*)::int AS n FROM member_roles WHERE org_id = $1::uuid AND user_id = $2', [fx.orgId, fx.users.ann])
  t.equal(rows[0].n, 0, 'the member holds no role any more')
})

t.test('unknown permission keys or unknown inherits are refused with an LK_ code and create nothing', async (t) => {
  const fx = await createOrgFixture(client, { roles: { viewer: { permissions: ['deals.view'] } } })
  const before = await tableCounts(dbUrl)

  const unknownPermission = await client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'editor', permissions: ['deals.view', 'never.created'] })
  assertApiError(t, unknownPermission, 422, 'LK_ERR_UNKNOWN_PERMISSION', 'create with an unknown permission')
  t.match(unknownPermission.body.message, /never\.created/, 'the message names the unknown key')
  const unknownParent = await client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'editor', permissions: ['deals.view'], inherits: ['phantom'] })
  assertApiError(t, unknownParent, 422, 'LK_ERR_UNKNOWN_ROLE', 'create inheriting an unknown role')
  t.match(unknownParent.body.message, /phantom/, 'the message names the unknown role')
  assertApiError(t, await client.put(`/v1/orgs/${fx.slug}/roles/viewer`, { permissions: ['never.created'] }), 422, 'LK_ERR_UNKNOWN_PERMISSION',
    'replace with an unknown permission')
  assertApiError(t, await client.put(`/v1/orgs/${fx.slug}/roles/viewer`, { permissions: [], inherits: ['phantom'] }), 422, 'LK_ERR_UNKNOWN_ROLE',
    'replace inheriting an unknown role')

  t.same(await tableCounts(dbUrl), before, 'no row was added or removed')
  t.equal(await orgRevision(client, fx.slug), fx.revision, 'the revision is unchanged')
  assertApiError(t, await client.get(`/v1/orgs/${fx.slug}/roles/editor`), 404, 'LK_ERR_ROLE_NOT_FOUND', 'no role "editor" exists')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles/viewer`)).body.permissions, ['deals.view'], 'viewer is unchanged')
})

t.test('roles are per organization: the same name in two organizations is two roles', async (t) => {
  const one = await createOrgFixture(client, { roles: { admin: { permissions: ['billing.manage'] } }, members: { ann: ['admin'] } })
  const two = await createOrgFixture(client, { roles: { admin: { permissions: ['deals.view'] } } })
  t.notOk(await can(two.slug, one.users.ann, 'billing.manage'), 'membership in one organization grants nothing in another')
  t.same((await client.get(`/v1/orgs/${two.slug}/roles/admin`)).body.permissions, ['deals.view'])
  assertApiError(t, await client.post(`/v1/orgs/${two.slug}/roles`, { name: 'x', permissions: [], inherits: ['missing'] }), 422, 'LK_ERR_UNKNOWN_ROLE',
    'a role of another organization cannot be inherited')
})
