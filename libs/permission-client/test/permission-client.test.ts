// The permission client as a host application uses it: checks over gRPC against the real
// permission service, answered from the client's own L1, which the platform's invalidation
// fan-out (outbox → JetStream → cache-invalidator → NATS) keeps fresh.
import { createServer, type Socket } from 'node:net'
import { freePort } from '@latchkey/testing'
import t from 'tap'
import { createPermissionClient } from '../src/index.ts'
import { createOrg, eventually, startPlatform } from './helpers.ts'

const platform = await startPlatform(t)

t.test('a role change reaches the client through the fan-out: allowed, then denied, without a token', async (t) => {
  const org = await createOrg(platform, { roles: { viewer: ['deals.view'] }, members: { ann: ['viewer'] } })
  const client = await platform.client(t)
  t.same(await client.check(org.slug, 'ann', 'deals.view'), { allowed: true, revision: org.revision }, 'allowed by the role')
  t.same(await client.check(org.slug, 'ann', 'deals.view'), { allowed: true, revision: org.revision }, 'asked again')
  t.equal(client.stats().user_permissions?.l1.hits, 1, 'the second answer came from the client’s L1')

  // The change is made elsewhere (the platform's HTTP API), not through this client.
  const { revision } = await platform.write('PUT', `/v1/orgs/${org.slug}/roles/viewer`, { permissions: [] })
  const delayMs = await eventually(async () => !(await client.check(org.slug, 'ann', 'deals.view')).allowed, 5_000)
  t.pass(`denied ${delayMs.toFixed(1)} ms after the write answered`)
  t.same(await client.check(org.slug, 'ann', 'deals.view'), { allowed: false, revision }, 'denied at the write’s revision')
  const hits = client.stats().user_permissions!.l1.hits
  await client.check(org.slug, 'ann', 'deals.view')
  t.equal(client.stats().user_permissions!.l1.hits, hits + 1, 'the new answer is kept in L1 again')
})

t.test('a membership change of one user drops only that user’s set', async (t) => {
  const org = await createOrg(platform, { roles: { viewer: ['deals.view'] }, members: { ann: ['viewer'], bob: ['viewer'], cho: ['viewer'] } })
  const client = await platform.client(t)
  // The first invalidation the client sees of an organization drops the organization whole:
  // nothing older can be vouched for (the rule of every L1 of the platform). Exact after that.
  await client.check(org.slug, 'bob', 'deals.view')
  await platform.write('DELETE', `/v1/orgs/${org.slug}/members/bob`)
  await eventually(async () => !(await client.check(org.slug, 'bob', 'deals.view')).allowed, 5_000)

  t.equal((await client.check(org.slug, 'ann', 'deals.view')).allowed, true, 'ann is allowed (now in L1)')
  await client.check(org.slug, 'cho', 'deals.view')
  await platform.write('DELETE', `/v1/orgs/${org.slug}/members/cho`)
  await eventually(async () => !(await client.check(org.slug, 'cho', 'deals.view')).allowed, 5_000)
  const hits = client.stats().user_permissions!.l1.hits
  t.equal((await client.check(org.slug, 'ann', 'deals.view')).allowed, true, 'ann is still allowed')
  t.equal(client.stats().user_permissions!.l1.hits, hits + 1, 'from L1: only cho’s set was dropped')
})

t.test('atLeastRevision: never answered from an older L1 entry, and a revision ahead of the organization is refused', async (t) => {
  const org = await createOrg(platform, { roles: { viewer: ['deals.view'], editor: ['deals.edit'] }, members: { ann: ['viewer'] } })
  const client = await platform.client(t)
  t.equal((await client.check(org.slug, 'ann', 'deals.edit')).allowed, false, 'not an editor yet (now in L1)')
  const { revision } = await platform.write('PUT', `/v1/orgs/${org.slug}/members/ann`, { roles: ['viewer', 'editor'] })
  // Asked at once with the write's revision: the fan-out may not have arrived, the token suffices.
  t.same(await client.check(org.slug, 'ann', 'deals.edit', { atLeastRevision: revision }), { allowed: true, revision }, 'the write is reflected')
  t.same(await client.listPermissions(org.slug, 'ann', { atLeastRevision: Number(revision) }), { permissions: ['deals.edit', 'deals.view'], revision }, 'a number works too')
  const [viaBulk] = await client.bulkCheck([{ org: org.slug, user: 'ann', permission: 'deals.edit', atLeastRevision: revision }])
  t.same(viaBulk, { allowed: true, revision }, 'and in a bulk check')
  await t.rejects(client.check(org.slug, 'ann', 'deals.edit', { atLeastRevision: BigInt(revision) + 5n + '' }), { code: 'LK_ERR_REVISION_AHEAD', statusCode: 409 }, 'ahead: 409')
})

t.test('unknown organizations, users and permissions answer false', async (t) => {
  const org = await createOrg(platform, { roles: { viewer: ['deals.view'] }, members: { ann: ['viewer'] } })
  const client = await platform.client(t)
  t.same(await client.check('no-such-org', 'ann', 'deals.view'), { allowed: false, revision: '0' }, 'unknown organization')
  t.same(await client.check(org.slug, 'nobody', 'deals.view'), { allowed: false, revision: org.revision }, 'unknown user')
  t.same(await client.check(org.slug, 'ann', 'never.granted'), { allowed: false, revision: org.revision }, 'unknown permission')
  const answers = await client.bulkCheck([
    { org: org.slug, user: 'ann', permission: 'deals.view' },
    { org: 'no-such-org', user: 'ann', permission: 'deals.view' },
    { org: org.slug, user: 'ann', permission: 'deals.edit' },
  ])
  t.same(answers.map((a) => a.allowed), [true, false, false], 'bulk: in order, organizations may differ')
  await t.rejects(client.listPermissions('no-such-org', 'ann'), { code: 'LK_ERR_ORG_NOT_FOUND', statusCode: 404 }, 'listing in an unknown organization: 404')
  await t.rejects(client.check('Not A Slug', 'ann', 'deals.view'), { code: 'LK_ERR_VALIDATION', statusCode: 400 }, 'a malformed slug: 400')
})

t.test('a deleted organization is dropped from the client’s L1', async (t) => {
  const org = await createOrg(platform, { roles: { viewer: ['deals.view'] }, members: { ann: ['viewer'] } })
  const client = await platform.client(t)
  t.equal((await client.check(org.slug, 'ann', 'deals.view')).allowed, true)
  await platform.write('DELETE', `/v1/orgs/${org.slug}`)
  await eventually(async () => !(await client.check(org.slug, 'ann', 'deals.view')).allowed, 5_000)
  t.same(await client.check(org.slug, 'ann', 'deals.view'), { allowed: false, revision: '0' }, 'the organization is gone')
})

t.test('without NATS the client has no L1: every question goes to the service', async (t) => {
  const org = await createOrg(platform, { roles: { viewer: ['deals.view'] }, members: { ann: ['viewer'] } })
  const client = await createPermissionClient({ address: platform.grpcAddress })
  t.teardown(() => client.close())
  t.equal(client.cached, false)
  t.same(await client.check(org.slug, 'ann', 'deals.view'), { allowed: true, revision: org.revision }, 'Check')
  t.same(
    (await client.bulkCheck([{ org: org.slug, user: 'ann', permission: 'deals.view' }, { org: 'no-such-org', user: 'ann', permission: 'deals.view' }])).map((a) => a.allowed),
    [true, false],
    'BulkCheck',
  )
  t.same(await client.listPermissions(org.slug, 'ann'), { permissions: ['deals.view'], revision: org.revision }, 'ListPermissions')
  await platform.write('PUT', `/v1/orgs/${org.slug}/roles/viewer`, { permissions: [] })
  t.equal((await client.check(org.slug, 'ann', 'deals.view')).allowed, false, 'the change is seen at once')
})

t.test('a permission service that is down or silent is a clear error within the deadline, not a hang', async (t) => {
  const closedPort = await freePort()
  const refused = await createPermissionClient({ address: `127.0.0.1:${closedPort}`, deadlineMs: 1_000 })
  t.teardown(() => refused.close())
  let started = performance.now()
  await t.rejects(refused.check('acme', 'ann', 'deals.view'), { code: 'LK_ERR_PERMISSION_SERVICE_UNAVAILABLE', statusCode: 503, message: /not reachable at 127\.0\.0\.1:/ }, 'nothing listens: 503')
  t.ok(performance.now() - started < 1_500, 'failed within the deadline')

  // A server that accepts the connection and never answers.
  const sockets: Socket[] = []
  const silent = createServer((socket) => sockets.push(socket))
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    for (const socket of sockets) socket.destroy()
    silent.close()
  })
  const port = (silent.address() as { port: number }).port
  const hanging = await createPermissionClient({ address: `127.0.0.1:${port}`, deadlineMs: 500 })
  t.teardown(() => hanging.close())
  started = performance.now()
  await t.rejects(hanging.listPermissions('acme', 'ann'), { code: 'LK_ERR_PERMISSION_SERVICE_UNAVAILABLE', message: /no answer within the deadline/ }, 'silent: 503 after the deadline')
  t.ok(performance.now() - started < 1_500, 'it did not hang')
})
