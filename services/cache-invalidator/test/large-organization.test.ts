// A large organization: one role change reaches 520 members (more keys than one Redis batch of
// 500), through the same path as any change: A's own invalidation, the relay, the invalidator's
// batched deletes in Redis and its one fan-out message to every L1.
import t from 'tap'
import { createOrgFixture } from '@latchkey/testing'
import { bulkAnswers, insertMembers, redisGetMany, setRole, startCluster, userPermissionsKey, waitForAnswer, type Replica } from './helpers.ts'

const { deployment, a, b } = await startCluster(t)

t.test('a role held by 520 members (more than one Redis batch): each change reaches every member, on the other replica and in Redis', async (t) => {
  const fx = await createOrgFixture(a, { slugPrefix: 'large', roles: { viewer: { permissions: ['deals.view'] }, member: { permissions: [], inherits: ['viewer'] } }, members: {} })
  const users = Array.from({ length: 520 }, (_, i) => `bulk${i}.${fx.slug}`)
  // Loaded in one SQL transaction (nothing about them is cached yet, so no invalidation is
  // skipped); the changes under test below go through the API. Half hold viewer, half a role
  // inheriting it.
  await insertMembers(deployment.databaseUrl, fx.orgId, users, (i) => (i % 2 === 0 ? 'member' : 'viewer'))
  const listed = await a.get(`/v1/orgs/${fx.slug}/members/${users[0]}/permissions`)
  t.same(listed.body?.permissions, ['deals.view'], 'a loaded member holds deals.view through the role inheriting viewer')
  const bulk = (replica: Replica, token?: string) => bulkAnswers(replica, fx.slug, users, 'deals.view', token)
  const entriesInRedis = async () => {
    const keys = users.map((user) => userPermissionsKey(deployment, fx.orgId, user))
    return (await redisGetMany(deployment.redisUrl, keys)).map((raw) => (raw === null ? undefined : Number(raw.slice(0, raw.indexOf('|')))))
  }
  t.ok((await bulk(b)).every(Boolean), 'B: all 520 may view (B’s L1 and Redis now hold the 520 answers)')
  t.ok((await entriesInRedis()).every((revision) => revision !== undefined), 'Redis holds an entry for each of the 520 members')

  // Viewer loses deals.view on A: without a token, B follows for all 520 within a second.
  const removed = await setRole(a, fx.slug, 'viewer', [])
  const { elapsedMs } = await waitForAnswer(b, { org: fx.slug, user: users.at(-1)!, permission: 'deals.view' }, false, { timeoutMs: 5_000, intervalMs: 5 })
  t.comment(`one role change, 520 members: B answered the change ${elapsedMs.toFixed(1)} ms after A's answer`)
  t.ok(elapsedMs < 1_000, 'within 1 s')
  t.ok((await bulk(b)).every((allowed) => !allowed), 'and then for every one of the 520 members (the fan-out carries all their keys in one message)')
  t.same((await entriesInRedis()).filter((revision) => revision !== undefined && revision < Number(removed)), [], 'no entry older than the change is left in Redis')

  // Viewer gets it back: with the token, B answers it for all 520 at once.
  const restored = await setRole(a, fx.slug, 'viewer', ['deals.view'])
  t.ok((await bulk(b, restored)).every(Boolean), 'B, with the token: all 520 may view again, at once')
})
