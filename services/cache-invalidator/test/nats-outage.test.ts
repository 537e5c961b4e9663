// NATS dies (a nats-server of the test's own, shared by every process) while writes happen. Writes
// still succeed (the outbox keeps their events); with no fan-out arriving, the other replica's L1
// serves nothing older than CACHE_L1_DEGRADED_TTL (1 s here), so its staleness stays bounded; when
// NATS returns the backlog goes out and every cache agrees again.
import { createOrgFixture, startPrivateNats, waitFor } from '@latchkey/testing'
import t from 'tap'
import {
  cacheStats,
  changeStreamManager,
  outboxRows,
  setMembership,
  setRole,
  startCluster,
  waitForAnswer,
  waitForConsumerCaughtUp,
  waitForOutboxPublished,
  type Replica,
} from './helpers.ts'

const degradedTtlMs = 1_000
const nats = await startPrivateNats(t)
const { deployment, a, b, invalidator } = await startCluster(t, { natsUrl: nats.url, env: { CACHE_L1_DEGRADED_TTL: '1s' } })
const manager = await changeStreamManager(t, deployment)

/** Waits until the replica's /readyz shows NATS in the given state; answers the HTTP status seen. */
async function natsStateOn(replica: Replica, state: 'up' | 'degraded'): Promise<number> {
  return waitFor(`${replica.name} to see NATS ${state}`, async () => {
    const res = await replica.get('/readyz')
    return res.body?.checks?.nats?.state === state ? res.status : undefined
  })
}

t.test('with NATS down, writes succeed and the other replica’s staleness is bounded by the degraded TTL; all catches up after', async (t) => {
  const fx = await createOrgFixture(a, {
    slugPrefix: 'natsdown',
    roles: { viewer: { permissions: ['deals.view'] }, editor: { permissions: ['deals.edit'], inherits: ['viewer'] } },
    members: { ann: ['viewer'], bob: ['viewer'], cid: ['editor'] },
  })
  const { ann, bob, cid } = fx.users
  await waitForOutboxPublished(deployment.databaseUrl)
  await waitForConsumerCaughtUp(manager, deployment.stream)
  const published = (await outboxRows(deployment.databaseUrl)).length
  const appliedBefore = (await cacheStats(invalidator)).invalidations.events

  await nats.kill()
  const readyStatus = await natsStateOn(b, 'degraded')
  t.equal(readyStatus, 200, `a permission replica stays ready (degraded) while NATS is down: it still serves checks and writes (HTTP ${readyStatus})`)

  // B holds ann's answer in its L1, fresh; then A removes ann's membership.
  t.equal((await b.check(fx.slug, ann, 'deals.view')).allowed, true, 'B: ann may view')
  const removed = await setMembership(a, fx.slug, ann, [])
  const wroteAt = performance.now()
  t.pass(`the write succeeds with NATS down (revision ${removed})`)
  t.equal((await a.check(fx.slug, ann, 'deals.view')).allowed, false, 'A reflects its own write at once')

  // No fan-out can reach B: its L1 entry dies of age, then Redis (already invalidated by A) and PostgreSQL answer.
  const { elapsedMs, staleAnswers } = await waitForAnswer(b, { org: fx.slug, user: ann, permission: 'deals.view' }, false, { timeoutMs: 5_000, intervalMs: 10 })
  const sinceWrite = performance.now() - wroteAt
  t.comment(`B, without a token, answered the change ${sinceWrite.toFixed(0)} ms after the write (${staleAnswers} stale answers before that; bound: ${degradedTtlMs} ms)`)
  t.ok(elapsedMs <= degradedTtlMs + 500, `B's staleness stays within the degraded TTL (${elapsedMs.toFixed(0)} ms ≤ ${degradedTtlMs} ms + 500 ms slack)`)

  // With the token, B is right at once, NATS or not.
  t.equal((await b.check(fx.slug, bob, 'deals.view')).allowed, true, 'B: bob may view')
  const viewerChanged = await setRole(a, fx.slug, 'viewer', [])
  t.same(
    [(await b.check(fx.slug, bob, 'deals.view', viewerChanged)).allowed, (await b.check(fx.slug, cid, 'deals.view', viewerChanged)).allowed, (await b.check(fx.slug, cid, 'deals.edit', viewerChanged)).allowed],
    [false, false, true],
    'B, with the token of a role change: bob and cid (inheriting) lost deals.view, cid keeps deals.edit',
  )
  const waiting = (await outboxRows(deployment.databaseUrl)).filter((row) => !row.published)
  t.equal(waiting.length, 2, 'both events wait in the outbox')

  await nats.start()
  const restarted = performance.now()
  t.equal(await natsStateOn(b, 'up'), 200, 'B is ready again once NATS is back')

  // Right after the reconnect (B dropped its L1 and serves entries for their full TTL again), A
  // gives viewer deals.view back: B must not serve bob's old answer longer than the degraded TTL.
  t.equal((await b.check(fx.slug, bob, 'deals.view')).allowed, false, 'B, just reconnected: bob may not view')
  await setRole(a, fx.slug, 'viewer', ['deals.view'])
  const recovery = await waitForAnswer(b, { org: fx.slug, user: bob, permission: 'deals.view' }, true, { timeoutMs: 20_000, intervalMs: 10 })
  t.comment(`a write made just after NATS came back reached B after ${recovery.elapsedMs.toFixed(0)} ms (${recovery.staleAnswers} stale answers)`)
  t.ok(recovery.elapsedMs <= degradedTtlMs + 500, `just after the reconnect, B's staleness stays within the degraded TTL (${recovery.elapsedMs.toFixed(0)} ms)`)

  const rows = await waitForOutboxPublished(deployment.databaseUrl, 30_000)
  t.comment(`the backlog was published ${(performance.now() - restarted).toFixed(0)} ms after NATS came back`)
  t.equal(rows.length, published + 3, 'every event, and only those, went out')
  await waitForConsumerCaughtUp(manager, deployment.stream, 30_000)
  t.comment(`the invalidator acknowledged the backlog ${(performance.now() - restarted).toFixed(0)} ms after NATS came back`)
  const stats = await cacheStats(invalidator)
  t.comment(`invalidator totals: ${JSON.stringify(stats.invalidations)} for ${rows.length} events`)
  t.equal(appliedBefore, published, 'before the outage the invalidator had applied every event once')
  t.ok(stats.invalidations.events - appliedBefore >= 3, 'after it, it applied the three made during and just after it')

  // The caches agree: every replica answers the truth for every member.
  const truth = { [ann]: [false, false], [bob]: [true, false], [cid]: [true, true] }
  for (const replica of [a, b]) {
    const answers = Object.fromEntries(
      await Promise.all(Object.keys(truth).map(async (user) => [user, [(await replica.check(fx.slug, user, 'deals.view')).allowed, (await replica.check(fx.slug, user, 'deals.edit')).allowed]] as const)),
    )
    t.same(answers, truth, `${replica.name} answers the current state for every member`)
  }

  // And the fan-out works again: B's entries live their full TTL (15 min) again, so only the
  // fan-out can make a new write on A reach B within seconds.
  t.equal((await b.check(fx.slug, bob, 'deals.view')).allowed, true, 'B holds bob’s answer')
  await setMembership(a, fx.slug, bob, [])
  const back = await waitForAnswer(b, { org: fx.slug, user: bob, permission: 'deals.view' }, false, { timeoutMs: 5_000, intervalMs: 5 })
  t.comment(`after recovery, A → B without a token: ${back.elapsedMs.toFixed(1)} ms`)
  t.pass('after recovery a write on A reaches B through the fan-out again')
})
