// A change too large for one NATS message (a role reaching tens of thousands of members makes an
// event of megabytes; here a server with an 80 KiB message limit makes 520 members enough): the
// relay publishes it asking for the whole organization to be invalidated instead of naming every
// key. Nothing stale survives anywhere, other organizations keep their entries, and the events
// behind it are not blocked.
import t from 'tap'
import { createOrgFixture, startPrivateNats, waitFor } from '@latchkey/testing'
import { bulkAnswers, insertMembers, redisGet, setMembership, setRole, startCluster, userPermissionsKey, waitForAnswer } from './helpers.ts'

const nats = await startPrivateNats(t, { maxPayload: 80 * 1024 })
const { deployment, a, b } = await startCluster(t, { natsUrl: nats.url })

t.test('a change event over the NATS message limit invalidates its whole organization, and only it', async (t) => {
  const fx = await createOrgFixture(a, { slugPrefix: 'huge', roles: { viewer: { permissions: ['deals.view'] }, member: { permissions: [], inherits: ['viewer'] } }, members: {} })
  const other = await createOrgFixture(a, { slugPrefix: 'bystander', roles: { viewer: { permissions: ['deals.view'] } }, members: { carol: ['viewer'] } })
  const users = Array.from({ length: 520 }, (_, i) => `many${i}.${fx.slug}`)
  await insertMembers(deployment.databaseUrl, fx.orgId, users, (i) => (i % 2 === 0 ? 'member' : 'viewer'))

  t.ok((await bulkAnswers(b, fx.slug, users, 'deals.view')).every(Boolean), 'B: all 520 may view (cached in B’s L1 and in Redis)')
  t.same(await bulkAnswers(b, other.slug, [other.users.carol], 'deals.view'), [true], 'B: carol of another organization may view too')
  const carolKey = userPermissionsKey(deployment, other.orgId, other.users.carol)
  const carolEntry = await redisGet(deployment.redisUrl, carolKey)
  t.ok(carolEntry, 'and her entry is in Redis')

  // 520 keys make an event of about 40 KB: over the 16 KiB the relay allows itself under an 80 KiB limit.
  const removed = await setRole(a, fx.slug, 'viewer', [])
  await waitForAnswer(b, { org: fx.slug, user: users.at(-1)!, permission: 'deals.view' }, false, { timeoutMs: 10_000, intervalMs: 10 })
  t.ok((await bulkAnswers(b, fx.slug, users, 'deals.view')).every((allowed) => !allowed), 'B, without a token: none of the 520 may view any more')
  t.ok((await bulkAnswers(a, fx.slug, users, 'deals.view', removed)).every((allowed) => !allowed), 'A, at the change’s revision: the same')
  t.ok(
    [a, b].some((replica) => replica.process.output.some((line) => line.includes('change event too large for NATS'))),
    'the relay (on whichever replica holds its lock) said it invalidated the organization whole',
  )

  t.equal(await redisGet(deployment.redisUrl, carolKey), carolEntry, 'the other organization’s entry in Redis is untouched')
  t.same(await bulkAnswers(b, other.slug, [other.users.carol], 'deals.view'), [true], 'and carol still may view')

  // The stream is not stuck behind the large event: a small change after it reaches B as usual.
  await setMembership(a, other.slug, other.users.carol, [])
  await waitFor('carol’s later change to reach B', async () => ((await bulkAnswers(b, other.slug, [other.users.carol], 'deals.view'))[0] === false ? true : undefined), { timeoutMs: 10_000 })
  t.pass('a later, small change reached B without a token')
})
