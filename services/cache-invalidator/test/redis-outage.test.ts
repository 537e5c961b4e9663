// Redis stalls (SIGSTOP: connections stay open, nothing answers, the data stays) while writes
// happen. Checks stay correct on every replica (L1 and PostgreSQL; the other replica learns of the
// write through the invalidator's L1 fan-out), the invalidations wait in JetStream, and once Redis
// answers again nothing written before the stall is served stale, even by a replica with a cold L1.
import { createOrgFixture, ensurePermissions, startPrivateRedis, waitFor } from '@latchkey/testing'
import t from 'tap'
import {
  cacheStats,
  changeStreamManager,
  outboxRows,
  redisGet,
  setMembership,
  setRole,
  startCluster,
  userPermissionsKey,
  waitForAnswer,
  waitForConsumerCaughtUp,
} from './helpers.ts'

const redis = await startPrivateRedis(t)
const { deployment, a, b, invalidator } = await startCluster(t, { redisUrl: redis.url })
const manager = await changeStreamManager(t, deployment)
// Whatever happens, Redis is not left stalled for the clean-up.
t.teardown(() => redis.resume())

/** The revision of a user's permission entry in Redis (undefined when there is none). */
async function entryRevision(orgId: string, user: string): Promise<number | undefined> {
  const raw = await redisGet(redis.url, userPermissionsKey(deployment, orgId, user))
  return raw === null ? undefined : Number(raw.slice(0, raw.indexOf('|')))
}

t.test('while Redis stalls, checks stay correct everywhere; afterwards no stale entry survives', async (t) => {
  await ensurePermissions(a, ['deals.export'])
  const fx = await createOrgFixture(a, {
    slugPrefix: 'stall',
    roles: { viewer: { permissions: ['deals.view'] }, editor: { permissions: ['deals.edit'], inherits: ['viewer'] } },
    members: { ann: ['viewer'], bob: ['editor'] },
  })
  const { ann, bob } = fx.users

  // Every replica and Redis hold the current answers.
  for (const replica of [a, b]) {
    t.same([(await replica.check(fx.slug, ann, 'deals.view')).allowed, (await replica.check(fx.slug, bob, 'deals.view')).allowed], [true, true], `${replica.name}: ann and bob may view`)
  }
  const before = await cacheStats(invalidator)
  t.equal(await entryRevision(fx.orgId, ann), Number(fx.revision), 'Redis holds ann’s entry, at the fixture’s revision')
  t.equal(await entryRevision(fx.orgId, bob), Number(fx.revision), 'and bob’s')

  redis.pause()
  // Two writes on A: ann leaves viewer; viewer (which editor inherits) loses deals.view.
  const left = await setMembership(a, fx.slug, ann, [])
  const changed = await setRole(a, fx.slug, 'viewer', ['deals.export'])
  t.pass(`both writes succeed while Redis is stalled (revisions ${left}, ${changed})`)

  // A reflects its own writes; B learns of them through the fan-out, without a token…
  t.same([(await a.check(fx.slug, ann, 'deals.view')).allowed, (await a.check(fx.slug, bob, 'deals.view')).allowed], [false, false], 'A: neither may view any more')
  for (const user of [ann, bob]) {
    const { elapsedMs } = await waitForAnswer(b, { org: fx.slug, user, permission: 'deals.view' }, false, { timeoutMs: 10_000, intervalMs: 20 })
    t.comment(`B reflected the change for ${user} ${elapsedMs.toFixed(0)} ms after we started asking`)
  }
  // …and with the token at once.
  t.same((await b.check(fx.slug, bob, 'deals.export', changed)).allowed, true, 'B, with the token: bob may export (inherited)')
  t.same((await b.check(fx.slug, ann, 'deals.export', changed)).allowed, false, 'B, with the token: ann may not')

  const stalled = await waitFor('the invalidator to record failed attempts', async () => {
    const stats = await cacheStats(invalidator)
    return stats.invalidations.failures > before.invalidations.failures ? stats : undefined
  })
  t.ok(stalled.invalidations.failures > before.invalidations.failures, `the invalidator counts failures (${stalled.invalidations.failures}) while Redis stalls`)
  t.equal(stalled.l2.available, false, 'and reports L2 as unavailable')
  t.equal(await redisPaused(), true, 'Redis is still stalled at this point')

  redis.resume()
  const restarted = performance.now()
  await waitForConsumerCaughtUp(manager, deployment.stream, 20_000)
  const recovered = await waitFor('L2 to be available to the invalidator again', async () => {
    const stats = await cacheStats(invalidator)
    return stats.l2.available ? stats : undefined
  })
  t.comment(`the waiting invalidations were applied ${(performance.now() - restarted).toFixed(0)} ms after Redis resumed`)
  const total = (await outboxRows(deployment.databaseUrl)).length
  t.equal(recovered.invalidations.events, total, `after Redis returned, all ${total} events are applied, each once (the failed attempts are counted apart)`)
  t.ok(recovered.invalidations.events > before.invalidations.events, 'including the two made during the stall')

  for (const [name, user] of [['ann', ann], ['bob', bob]] as const) {
    const revision = await entryRevision(fx.orgId, user)
    t.ok(revision === undefined || revision >= Number(changed), `Redis holds no entry of ${name} older than the writes (found: ${revision ?? 'none'})`)
  }

  // A replica that was not there: its L1 is cold, so it reads Redis, then PostgreSQL.
  const c = await deployment.start('c', 'permission')
  t.same(
    [(await c.check(fx.slug, ann, 'deals.view')).allowed, (await c.check(fx.slug, bob, 'deals.view')).allowed, (await c.check(fx.slug, bob, 'deals.export')).allowed],
    [false, false, true],
    'a fresh replica answers the new state',
  )
  for (const replica of [a, b]) {
    t.same(
      [(await replica.check(fx.slug, ann, 'deals.view')).allowed, (await replica.check(fx.slug, bob, 'deals.export')).allowed],
      [false, true],
      `${replica.name} agrees`,
    )
  }

  // And the path is whole again: a new write on A reaches B quickly.
  await setMembership(a, fx.slug, ann, ['viewer'])
  const { elapsedMs } = await waitForAnswer(b, { org: fx.slug, user: ann, permission: 'deals.export' }, true, { timeoutMs: 5_000 })
  t.ok(elapsedMs < 1_000, `after the outage a write on A reaches B within 1 s (${elapsedMs.toFixed(1)} ms)`)
})

/** True when the private Redis does not answer a GET within 300 ms. */
async function redisPaused(): Promise<boolean> {
  return Promise.race([redisGet(redis.url, 'ping-probe').then(() => false, () => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 300))])
}
