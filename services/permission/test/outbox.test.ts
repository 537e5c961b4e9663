// The transactional outbox: every write records exactly one event in the same transaction as
// the change (so its org_seq is the revision the write answered), a refused write records none,
// and the request's W3C trace context travels with the event.
import t from 'tap'
import {
  createOrgFixture,
  createUser,
  ensurePermissions,
  jsonClient,
  queryDatabase,
  uniqueSlug,
  uniqueUser,
  type JsonResponse,
} from '@latchkey/testing'
import { outboxMark, outboxRows, startPermissionApp } from './helpers.ts'

const testApp = await startPermissionApp(t)
const client = jsonClient(testApp.url)
const dbUrl = testApp.config.DATABASE_URL

await ensurePermissions(client, ['deals.view', 'deals.edit'])

/** Runs one write and answers it with the outbox rows it added. */
async function withEvents(write: () => Promise<JsonResponse>) {
  const mark = await outboxMark(dbUrl)
  const res = await write()
  return { res, events: await outboxRows(dbUrl, mark) }
}

t.test('every write to an organization records exactly one event: type, org_id, org_seq = the returned revision', async (t) => {
  const slug = uniqueSlug('outbox')
  const user = uniqueUser('ann')
  await createUser(client, user)
  let orgId = ''

  const writes: [string, string, () => Promise<JsonResponse>, Record<string, unknown>][] = [
    ['create the organization', 'organization.created', () => client.post('/v1/orgs', { slug, name: 'Outbox' }), { name: 'Outbox' }],
    ['rename it', 'organization.updated', () => client.patch(`/v1/orgs/${slug}`, { name: 'Outbox 2' }), { name: 'Outbox 2' }],
    ['create a role', 'role.created', () => client.post(`/v1/orgs/${slug}/roles`, { name: 'viewer', permissions: ['deals.view'] }),
      { name: 'viewer', permissions: ['deals.view'], inherits: [] }],
    ['create an inheriting role', 'role.created', () => client.post(`/v1/orgs/${slug}/roles`, { name: 'editor', permissions: ['deals.edit'], inherits: ['viewer'] }),
      { name: 'editor', permissions: ['deals.edit'], inherits: ['viewer'] }],
    ['set a membership', 'membership.set', () => client.put(`/v1/orgs/${slug}/members/${user}`, { roles: ['editor'] }), { user, roles: ['editor'] }],
    ['replace a role', 'role.updated', () => client.put(`/v1/orgs/${slug}/roles/viewer`, { permissions: ['deals.view', 'deals.edit'] }),
      { name: 'viewer', permissions: ['deals.edit', 'deals.view'], inherits: [], affectedUsers: 1 }],
    ['remove the membership', 'membership.removed', () => client.delete(`/v1/orgs/${slug}/members/${user}`), { user }],
    ['delete a role', 'role.deleted', () => client.delete(`/v1/orgs/${slug}/roles/editor`), { name: 'editor', affectedUsers: 0 }],
    ['delete the organization', 'organization.deleted', () => client.delete(`/v1/orgs/${slug}`), {}],
  ]
  for (const [what, type, write, payload] of writes) {
    const { res, events } = await withEvents(write)
    t.ok(res.status === 200 || res.status === 201, `${what}: succeeds (${res.status})`)
    orgId ||= res.body.id
    t.equal(events.length, 1, `${what}: exactly one event`)
    const event = events[0]!
    t.equal(event.type, type, `${what}: type ${type}`)
    t.equal(event.org_id, orgId, `${what}: org_id is the organization’s id`)
    t.equal(event.org_seq, res.body.revision, `${what}: org_seq ${res.body.revision} is the revision the write answered`)
    t.match(event.payload, { org: slug, revision: res.body.revision, ...payload }, `${what}: the payload describes the change`)
  }

  const all = await queryDatabase(dbUrl, 'SELECT org_seq::text AS seq FROM outbox_events WHERE org_id = $1::uuid ORDER BY id', [orgId])
  t.same(all.map((r) => r.seq), ['1', '2', '3', '4', '5', '6', '7', '8', '9'], 'the organization’s events carry each revision once, in order')
})

t.test('global writes (a permission, a user) record one event without an organization', async (t) => {
  const permission = await withEvents(() => client.post('/v1/permissions', { key: 'outbox.global', description: 'global' }))
  t.equal(permission.res.status, 201)
  t.equal(permission.events.length, 1)
  t.match(permission.events[0], { type: 'permission.created', org_id: null, org_seq: null, payload: { key: 'outbox.global', description: 'global' } })

  const id = uniqueUser('zed')
  const user = await withEvents(() => client.put(`/v1/users/${id}`, { email: 'zed@example.com', passwordChangedAt: '2024-01-02T03:04:05.000Z' }))
  t.equal(user.res.status, 200)
  t.equal(user.events.length, 1)
  t.match(user.events[0], {
    type: 'user.upserted', org_id: null, org_seq: null,
    payload: { user: id, email: 'zed@example.com', name: null, passwordChangedAt: '2024-01-02T03:04:05.000Z' },
  })
})

t.test('a write that fails records no event and leaves the revision alone', async (t) => {
  const fx = await createOrgFixture(client, {
    roles: { viewer: { permissions: ['deals.view'] }, editor: { permissions: ['deals.edit'], inherits: ['viewer'] } },
    members: { ann: ['viewer'] },
  })
  const failing: [string, () => Promise<JsonResponse>, number][] = [
    ['a cycle (A → B → A)', () => client.put(`/v1/orgs/${fx.slug}/roles/viewer`, { permissions: [], inherits: ['editor'] }), 409],
    ['a self-inheriting new role', () => client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'me', permissions: [], inherits: ['me'] }), 409],
    ['an existing role name', () => client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'viewer', permissions: [] }), 409],
    ['an unknown permission', () => client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'x', permissions: ['no.such'] }), 422],
    ['an unknown parent role', () => client.put(`/v1/orgs/${fx.slug}/roles/editor`, { permissions: [], inherits: ['ghost'] }), 422],
    ['deleting an inherited role', () => client.delete(`/v1/orgs/${fx.slug}/roles/viewer`), 409],
    ['deleting an unknown role', () => client.delete(`/v1/orgs/${fx.slug}/roles/ghost`), 404],
    ['replacing an unknown role', () => client.put(`/v1/orgs/${fx.slug}/roles/ghost`, { permissions: [] }), 404],
    ['a membership of an unknown user', () => client.put(`/v1/orgs/${fx.slug}/members/${uniqueUser('ghost')}`, { roles: ['viewer'] }), 404],
    ['a membership with an unknown role', () => client.put(`/v1/orgs/${fx.slug}/members/${fx.users.ann}`, { roles: ['ghost'] }), 422],
    ['removing a non-member', () => client.delete(`/v1/orgs/${fx.slug}/members/${uniqueUser('ghost')}`), 404],
    ['a taken slug', () => client.post('/v1/orgs', { slug: fx.slug, name: 'again' }), 409],
    ['an existing permission', () => client.post('/v1/permissions', { key: 'deals.view' }), 409],
    ['renaming an unknown organization', () => client.patch(`/v1/orgs/${uniqueSlug('ghost')}`, { name: 'x' }), 404],
    ['deleting an unknown organization', () => client.delete(`/v1/orgs/${uniqueSlug('ghost')}`), 404],
    ['an invalid body', () => client.post(`/v1/orgs/${fx.slug}/roles`, { name: 'bad name', permissions: [] }), 400],
  ]
  for (const [what, write, status] of failing) {
    const { res, events } = await withEvents(write)
    t.equal(res.status, status, `${what}: refused with ${status}`)
    t.same(events, [], `${what}: no event`)
  }
  t.equal((await client.get(`/v1/orgs/${fx.slug}`)).body.revision, fx.revision, 'the organization’s revision is unchanged')
  const seqs = await queryDatabase(dbUrl, 'SELECT org_seq::text AS seq FROM outbox_events WHERE org_id = $1::uuid ORDER BY id', [fx.orgId])
  t.same(seqs.map((r) => r.seq), Array.from({ length: Number(fx.revision) }, (_, i) => String(i + 1)), 'its events are still exactly revisions 1..current')
})

t.test('concurrent writes to one organization get distinct revisions, each recorded by its own event', async (t) => {
  const fx = await createOrgFixture(client, { roles: { viewer: { permissions: ['deals.view'] } } })
  const users = Array.from({ length: 20 }, () => uniqueUser('c'))
  for (const user of users) await createUser(client, user)
  const answers = await Promise.all(users.map((user) => client.put(`/v1/orgs/${fx.slug}/members/${user}`, { roles: ['viewer'] })))
  t.same(answers.map((a) => a.status), users.map(() => 200), 'all 20 succeed')
  const revisions = answers.map((a) => Number(a.body.revision)).sort((a, b) => a - b)
  const first = Number(fx.revision) + 1
  t.same(revisions, Array.from({ length: 20 }, (_, i) => first + i), 'revisions are distinct and without gaps')

  const events = await queryDatabase(dbUrl, "SELECT org_seq::int AS seq, payload->>'user' AS user FROM outbox_events WHERE org_id = $1::uuid AND type = 'membership.set'", [fx.orgId])
  const byUser = new Map(events.map((e) => [e.user as string, e.seq as number]))
  t.equal(events.length, 20, 'one event per write')
  t.same(answers.map((a) => byUser.get(a.body.user)), answers.map((a) => Number(a.body.revision)), 'each event carries the revision its own write answered')
})

t.test('the request’s traceparent (and tracestate) is stored in trace_context', async (t) => {
  const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
  const tracestate = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'
  const slug = uniqueSlug('traced')
  const traced = await withEvents(() => client.post('/v1/orgs', { slug, name: 'Traced' }, { headers: { traceparent, tracestate } }))
  t.equal(traced.res.status, 201)
  t.same(traced.events[0]?.trace_context, { traceparent, tracestate }, 'both headers are stored')

  const onlyParent = await withEvents(() => client.post(`/v1/orgs/${slug}/roles`, { name: 'r', permissions: [] }, { headers: { traceparent } }))
  t.same(onlyParent.events[0]?.trace_context, { traceparent }, 'a traceparent alone')

  const permission = await withEvents(() => client.post('/v1/permissions', { key: 'traced.thing' }, { headers: { traceparent } }))
  t.same(permission.events[0]?.trace_context, { traceparent }, 'global writes carry it too')

  const untraced = await withEvents(() => client.patch(`/v1/orgs/${slug}`, { name: 'Untraced' }))
  t.same(untraced.events[0]?.trace_context, {}, 'without the headers, an empty trace context')
})
