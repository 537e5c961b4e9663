// NATS dies (a nats-server of the test's own, shared by the platform and the client) and comes
// back. With no fan-out arriving, the client's L1 serves nothing older than its degraded TTL, so a
// change made meanwhile reaches it within that bound; once NATS is back the L1 is dropped (what
// was missed cannot be replayed) and, when the fan-out flows again, entries are kept as before.
import { setTimeout as sleep } from 'node:timers/promises'
import { decodeJson, subjects, type L1InvalidationMessage } from '@latchkey/events'
import { startPrivateNats } from '@latchkey/testing'
import { connect } from '@nats-io/transport-node'
import t from 'tap'
import { createOrg, eventually, startPlatform } from './helpers.ts'

const degradedTtlMs = 500
const nats = await startPrivateNats(t)
const platform = await startPlatform(t, { NATS_URL: nats.url })

/**
 * Watches the platform's fan-out (subscribed before the write it waits for, so that its message
 * cannot pass unseen): resolves once it carried the organization's invalidation at `revision` or
 * later, and fails after 15 s.
 */
async function watchFanOut(t: { teardown(fn: () => unknown): void }, slug: string) {
  const watcher = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 200 })
  t.teardown(() => watcher.close())
  const seen: number[] = []
  watcher.subscribe(subjects(platform.app.config.NATS_NAMESPACE).l1Invalidations, {
    callback: (err, msg) => {
      if (err) return
      for (const i of decodeJson<L1InvalidationMessage>(msg.data).invalidations) if (i.partition === `slug:${slug}`) seen.push(i.revision)
    },
  })
  await watcher.flush()
  return (revision: number) => eventually(async () => seen.some((r) => r >= revision), 15_000)
}

t.test('while NATS is down staleness is bounded by the degraded TTL; after it returns the fan-out keeps L1 fresh again', async (t) => {
  const org = await createOrg(platform, { roles: { viewer: ['deals.view'] }, members: { ann: ['viewer'], bob: ['viewer'] } })
  const client = await platform.client(t, { degradedTtlMs })
  t.equal((await client.check(org.slug, 'ann', 'deals.view')).allowed, true)

  await nats.kill()
  await sleep(100)
  const { revision } = await platform.write('PUT', `/v1/orgs/${org.slug}/roles/viewer`, { permissions: [] })
  t.ok(Number(revision) > Number(org.revision), 'writes succeed without NATS')
  const staleForMs = await eventually(async () => !(await client.check(org.slug, 'ann', 'deals.view')).allowed, degradedTtlMs + 2_000)
  t.pass(`the change reached the client ${staleForMs.toFixed(0)} ms after the write, with no fan-out (degraded TTL ${degradedTtlMs} ms)`)

  await nats.start()
  const fanOutOf = await watchFanOut(t, org.slug)
  // Back: the relay publishes the backlog and the invalidator's consumer resumes (JetStream
  // recovers in a few seconds); until its first fan-out message the client stays bounded.
  const restored = await platform.write('PUT', `/v1/orgs/${org.slug}/roles/viewer`, { permissions: ['deals.view'] })
  await eventually(async () => (await client.check(org.slug, 'bob', 'deals.view')).allowed, 5_000)
  await fanOutOf(Number(restored.revision))
  const { revision: removed } = await platform.write('PUT', `/v1/orgs/${org.slug}/members/ann`, { roles: [] })
  await fanOutOf(Number(removed))
  t.equal((await client.check(org.slug, 'ann', 'deals.view')).allowed, false, 'the fan-out flows again')
  // Once the fan-out reaches the client too, L1 keeps entries longer than the degraded bound
  // again. The client's own connection may come back after the fan-out above (it then lifts the
  // bound at its next fan-out message, or after the 10 s catch-up at most).
  const liftedAfterMs = await eventually(async () => {
    await client.check(org.slug, 'bob', 'deals.view')
    await sleep(degradedTtlMs + 200)
    const hits = client.stats().user_permissions!.l1.hits
    const answer = await client.check(org.slug, 'bob', 'deals.view')
    return answer.allowed && client.stats().user_permissions!.l1.hits === hits + 1
  }, 15_000)
  t.pass(`an entry older than ${degradedTtlMs} ms is served from L1 again (${liftedAfterMs.toFixed(0)} ms after the fan-out flowed)`)
})
