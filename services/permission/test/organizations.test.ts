// Organizations: create, read, rename, delete; slugs are unique; every write moves the
// organization's revision forward by exactly one, and a revision never goes back, even across
// deleting and re-creating a slug.
import t from 'tap'
import { createOrgFixture, createUser, ensurePermissions, jsonClient, uniqueSlug, uniqueUser } from '@latchkey/testing'
import { assertApiError, orgRevision, revisionPattern, startPermissionApp } from './helpers.ts'

const testApp = await startPermissionApp(t)
const client = jsonClient(testApp.url)

t.test('an organization is created, read, renamed and deleted', async (t) => {
  const slug = uniqueSlug('acme')
  const created = await client.post('/v1/orgs', { slug, name: 'Acme Inc.' })
  t.equal(created.status, 201, 'creating answers 201')
  t.same(Object.keys(created.body).sort(), ['id', 'name', 'revision', 'slug'], 'answers {id, slug, name, revision}')
  t.match(created.body, { slug, name: 'Acme Inc.', revision: '1' }, 'a new organization starts at revision "1"')
  t.match(created.body.id, /^[0-9a-f-]{36}$/, 'the id is a uuid')

  const read = await client.get(`/v1/orgs/${slug}`)
  t.equal(read.status, 200)
  t.same(read.body, created.body, 'GET answers what POST answered')

  const renamed = await client.patch(`/v1/orgs/${slug}`, { name: 'Acme Corporation' })
  t.equal(renamed.status, 200)
  t.same(renamed.body, { id: created.body.id, slug, name: 'Acme Corporation', revision: '2' }, 'PATCH renames and moves the revision to 2')
  t.same((await client.get(`/v1/orgs/${slug}`)).body, renamed.body, 'GET sees the new name at once')

  const deleted = await client.delete(`/v1/orgs/${slug}`)
  t.equal(deleted.status, 200)
  t.same(deleted.body, { revision: '3' }, 'DELETE answers the revision of the deletion')

  assertApiError(t, await client.get(`/v1/orgs/${slug}`), 404, 'LK_ERR_ORG_NOT_FOUND', 'GET after DELETE')
  assertApiError(t, await client.delete(`/v1/orgs/${slug}`), 404, 'LK_ERR_ORG_NOT_FOUND', 'a second DELETE')
  assertApiError(t, await client.patch(`/v1/orgs/${slug}`, { name: 'x' }), 404, 'LK_ERR_ORG_NOT_FOUND', 'PATCH after DELETE')
})

t.test('a slug that is taken is refused with 409 and the existing organization is untouched', async (t) => {
  const slug = uniqueSlug('taken')
  const first = await client.post('/v1/orgs', { slug, name: 'First' })
  t.equal(first.status, 201)
  assertApiError(t, await client.post('/v1/orgs', { slug, name: 'Second' }), 409, 'LK_ERR_ORG_EXISTS', 'same slug again')
  t.same((await client.get(`/v1/orgs/${slug}`)).body, first.body, 'name and revision are unchanged')
})

t.test('unknown organizations are 404 with an LK_ code on every organization route', async (t) => {
  const slug = uniqueSlug('ghost')
  assertApiError(t, await client.get(`/v1/orgs/${slug}`), 404, 'LK_ERR_ORG_NOT_FOUND', 'GET')
  assertApiError(t, await client.patch(`/v1/orgs/${slug}`, { name: 'Ghost' }), 404, 'LK_ERR_ORG_NOT_FOUND', 'PATCH')
  assertApiError(t, await client.delete(`/v1/orgs/${slug}`), 404, 'LK_ERR_ORG_NOT_FOUND', 'DELETE')
  assertApiError(t, await client.get(`/v1/orgs/${slug}/roles`), 404, 'LK_ERR_ORG_NOT_FOUND', 'GET roles')
  assertApiError(t, await client.post(`/v1/orgs/${slug}/roles`, { name: 'r', permissions: [] }), 404, 'LK_ERR_ORG_NOT_FOUND', 'POST role')
  assertApiError(t, await client.get(`/v1/orgs/${slug}/members/someone/permissions`), 404, 'LK_ERR_ORG_NOT_FOUND', 'GET member permissions')
  t.equal((await client.get(`/v1/orgs/${slug}`)).status, 404, 'none of the refused writes created it')
})

t.test('the revision is a digit string that grows by exactly one per write to the organization', async (t) => {
  await ensurePermissions(client, ['ledger.read', 'ledger.write'])
  const slug = uniqueSlug('rev')
  const user = uniqueUser('rev')
  await createUser(client, user)

  const writes: [string, () => Promise<{ status: number; body: any }>][] = [
    ['create the organization', () => client.post('/v1/orgs', { slug, name: 'Rev' })],
    ['create a role', () => client.post(`/v1/orgs/${slug}/roles`, { name: 'reader', permissions: ['ledger.read'] })],
    ['create a second role', () => client.post(`/v1/orgs/${slug}/roles`, { name: 'writer', permissions: ['ledger.write'], inherits: ['reader'] })],
    ['replace a role', () => client.put(`/v1/orgs/${slug}/roles/reader`, { permissions: ['ledger.read', 'ledger.write'] })],
    ['add a member', () => client.put(`/v1/orgs/${slug}/members/${user}`, { roles: ['writer'] })],
    ['change the member', () => client.put(`/v1/orgs/${slug}/members/${user}`, { roles: ['reader'] })],
    ['rename the organization', () => client.patch(`/v1/orgs/${slug}`, { name: 'Rev 2' })],
    ['remove the member', () => client.delete(`/v1/orgs/${slug}/members/${user}`)],
    ['delete a role', () => client.delete(`/v1/orgs/${slug}/roles/writer`)],
  ]
  let expected = 1
  for (const [what, write] of writes) {
    const res = await write()
    t.ok(res.status === 200 || res.status === 201, `${what}: ${res.status}`)
    t.match(res.body.revision, revisionPattern, `${what}: the revision is a string of digits`)
    t.equal(res.body.revision, String(expected), `${what}: revision ${expected}`)
    t.equal(await orgRevision(client, slug), String(expected), `${what}: GET shows revision ${expected}`)
    expected++
  }

  // Reads and refused writes do not move it.
  await client.get(`/v1/orgs/${slug}/roles`)
  await client.post('/v1/check', { org: slug, user, permission: 'ledger.read' })
  await client.post(`/v1/orgs/${slug}/roles`, { name: 'reader', permissions: [] })
  t.equal(await orgRevision(client, slug), String(expected - 1), 'reads and a refused write leave the revision alone')
})

t.test('writes to one organization do not move another one’s revision', async (t) => {
  const a = await createOrgFixture(client, { roles: { viewer: { permissions: ['ledger.read'] } } })
  const b = await createOrgFixture(client, {})
  t.equal(a.revision, '2')
  t.equal(b.revision, '1')
  await client.patch(`/v1/orgs/${a.slug}`, { name: 'renamed' })
  t.equal(await orgRevision(client, b.slug), '1', 'b stays at 1')
  t.equal(await orgRevision(client, a.slug), '3', 'a moved to 3')
})

t.test('deleting and re-creating a slug continues the revision and starts empty', async (t) => {
  const fx = await createOrgFixture(client, { roles: { viewer: { permissions: ['ledger.read'] } }, members: { ann: ['viewer'] } })
  t.equal(fx.revision, '3', 'create, role, member: revision 3')
  t.equal((await client.post('/v1/check', { org: fx.slug, user: fx.users.ann, permission: 'ledger.read' })).body.allowed, true)

  const deleted = await client.delete(`/v1/orgs/${fx.slug}`)
  t.same(deleted.body, { revision: '4' }, 'the deletion is revision 4')
  const afterDelete = await client.post('/v1/check', { org: fx.slug, user: fx.users.ann, permission: 'ledger.read' })
  t.same(afterDelete.body, { allowed: false, revision: '0' }, 'a check against the deleted organization is denied')

  const recreated = await client.post('/v1/orgs', { slug: fx.slug, name: 'Born again' })
  t.equal(recreated.status, 201, 'the slug can be used again')
  t.match(recreated.body, { slug: fx.slug, name: 'Born again', revision: '5' }, 're-creating continues at revision 5, never back to 1')
  t.same((await client.get(`/v1/orgs/${fx.slug}/roles`)).body, { items: [] }, 'the old roles went with the deletion')
  const permissions = await client.get(`/v1/orgs/${fx.slug}/members/${fx.users.ann}/permissions`)
  t.same(permissions.body, { user: fx.users.ann, permissions: [], revision: '5' }, 'the old memberships went with the deletion')
  const check = await client.post('/v1/check', { org: fx.slug, user: fx.users.ann, permission: 'ledger.read' })
  t.same(check.body, { allowed: false, revision: '5' }, 'the former member is denied in the new organization')

  const patched = await client.patch(`/v1/orgs/${fx.slug}`, { name: 'Again' })
  t.equal(patched.body.revision, '6', 'and goes on growing')
})
