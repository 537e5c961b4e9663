// Several cache-invalidators share one durable consumer: each change event is applied by one of
// them, and when one dies the others keep every L1 current. One of them runs in a combined
// process (TARGET=permission,cache-invalidator), which also holds an L1 like any permission replica.
import t from 'tap'
import { createOrgFixture } from '@latchkey/testing'
import {
  cacheStats,
  changeStreamManager,
  createDeployment,
  setMembership,
  summarize,
  waitForAnswer,
  waitForConsumerCaughtUp,
  waitForOutboxPublished,
  type Replica,
  type TapTest,
} from './helpers.ts'

const deployment = await createDeployment(t)
const [invalidator, a, combined] = await Promise.all([
  deployment.start('invalidator', 'cache-invalidator'),
  deployment.start('a', 'permission'),
  deployment.start('combined', 'permission,cache-invalidator'),
])
const manager = await changeStreamManager(t, deployment)

/** Flips ann's only role `writes` times on `writer`; after each write, polls `reader` (no token) until it follows. Answers the delays. */
async function flipAndFollow(t: TapTest, writer: Replica, reader: Replica, fx: { slug: string; users: { ann: string } }, writes: number): Promise<number[]> {
  const delays: number[] = []
  let allowed = (await writer.check(fx.slug, fx.users.ann, 'deals.view')).allowed
  for (let i = 0; i < writes; i++) {
    t.equal((await reader.check(fx.slug, fx.users.ann, 'deals.view')).allowed, allowed, `write ${i}: ${reader.name} answers the current state before it`)
    allowed = !allowed
    await setMembership(writer, fx.slug, fx.users.ann, allowed ? ['viewer'] : [])
    delays.push((await waitForAnswer(reader, { org: fx.slug, user: fx.users.ann, permission: 'deals.view' }, allowed, { timeoutMs: 10_000, intervalMs: 2 })).elapsedMs)
  }
  return delays
}

t.test('two invalidators share the durable consumer: each event is applied once, by one of them; the combined process gets the fan-out', async (t) => {
  const fx = await createOrgFixture(a, { slugPrefix: 'shared', roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'] } })
  await waitForOutboxPublished(deployment.databaseUrl)
  await waitForConsumerCaughtUp(manager, deployment.stream)
  const before = await Promise.all([cacheStats(invalidator), cacheStats(combined)])

  // The combined process holds an L1 like any permission replica: 20 writes on A, each followed
  // there without a token.
  const delays = await flipAndFollow(t, a, combined, fx, 20)
  t.comment(`A → the combined process, without a token: ${summarize(delays)}`)
  t.ok(Math.max(...delays) < 1_000, 'each write reached the combined process’s L1 within 1 s')

  await waitForOutboxPublished(deployment.databaseUrl)
  await waitForConsumerCaughtUp(manager, deployment.stream)
  const after = await Promise.all([cacheStats(invalidator), cacheStats(combined)])
  const applied = after.map((stats, i) => stats.invalidations.events - before[i]!.invalidations.events)
  t.comment(`events applied by each invalidator: ${applied.join(' + ')}`)
  t.equal(applied[0]! + applied[1]!, 20, 'the 20 events were applied 20 times in all: once each, by one invalidator or the other')
})

t.test('when one invalidator dies, the other keeps every replica’s L1 current', async (t) => {
  const fx = await createOrgFixture(a, { slugPrefix: 'failover', roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'] } })
  await waitForOutboxPublished(deployment.databaseUrl)
  await waitForConsumerCaughtUp(manager, deployment.stream)
  invalidator.process.child.kill('SIGKILL')
  await invalidator.process.exited
  const before = await cacheStats(combined)

  // Writes on the combined process, read on A, a plain permission replica: only the remaining
  // invalidator's fan-out can tell A.
  const delays = await flipAndFollow(t, combined, a, fx, 10)
  t.comment(`the combined process → A without a token, with one invalidator left: ${summarize(delays)}`)
  t.ok(Math.max(...delays) < 1_000, 'each write reached A within 1 s')
  await waitForOutboxPublished(deployment.databaseUrl)
  await waitForConsumerCaughtUp(manager, deployment.stream)
  t.equal((await cacheStats(combined)).invalidations.events - before.invalidations.events, 10, 'the remaining invalidator applied all 10 events')
})
