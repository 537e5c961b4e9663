// The lanes' pull requests against the real NATS server: a request the server serves stays until
// its expiry (kept alive by heartbeats while idle); one nobody serves is given up after two
// missed heartbeats, so that a lane never sits without a working request.
import { AckPolicy, jetstreamManager } from '@nats-io/jetstream'
import { connect, type Msg } from '@nats-io/transport-node'
import { uniqueNamespace } from '@latchkey/testing'
import t from 'tap'
import { LanePuller, type PullEnd } from '../src/engine/pull.ts'
import { natsUrl } from './helpers.ts'

const connection = await connect({ servers: natsUrl })
t.teardown(() => connection.close())

function watchedPuller(api: string, expiresMs: number) {
  const received: Msg[] = []
  const ends: (PullEnd & { afterMs: number })[] = []
  let startedAt = 0
  const puller = new LanePuller(
    connection,
    api,
    expiresMs,
    (msg) => received.push(msg),
    (end) => ends.push({ ...end, afterMs: performance.now() - startedAt }),
  )
  return {
    puller,
    received,
    ends,
    pull(batch: number) {
      startedAt = performance.now()
      puller.pull(batch)
    },
  }
}

const until = async (what: string, done: () => boolean, timeoutMs = 5_000) => {
  const deadline = performance.now() + timeoutMs
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

t.test('a served request takes messages as they come and lasts until the server expires it', async (t) => {
  const stream = `${uniqueNamespace(t).toUpperCase()}_PULL`
  const manager = await jetstreamManager(connection)
  await manager.streams.add({ name: stream, subjects: [`${stream}.>`] })
  t.teardown(() => manager.streams.delete(stream).catch(() => {}))
  await manager.consumers.add(stream, { durable_name: 'lane', ack_policy: AckPolicy.Explicit, filter_subject: `${stream}.task` })

  const lane = watchedPuller(`$JS.API.CONSUMER.MSG.NEXT.${stream}.lane`, 800)
  lane.pull(10)
  await new Promise((resolve) => setTimeout(resolve, 300))
  connection.publish(`${stream}.task`, 'one')
  await until('the message', () => lane.received.length === 1)
  t.equal(lane.received[0]!.string(), 'one', 'delivered to the waiting request')
  await new Promise((resolve) => setTimeout(resolve, 250))
  t.ok(lane.puller.requesting, 'idle, yet alive on its heartbeats, past two heartbeat intervals (200 ms)')
  await until('the end of the request', () => lane.ends.length === 1)
  t.match(lane.ends[0], { code: 408, received: 1 }, "ended by the server's expiry")
  t.ok(lane.ends[0]!.afterMs >= 700, `not before it (${Math.round(lane.ends[0]!.afterMs)} ms of 800)`)
  lane.received[0]!.respond('+ACK')
})

t.test('a request nobody serves is given up after two missed heartbeats, not waited out', async (t) => {
  // Something answers on the API subject (so there is no "no responders" status) but never serves.
  const api = `${uniqueNamespace(t)}.swallowed`
  const swallow = connection.subscribe(api, { callback: () => {} })
  t.teardown(() => swallow.unsubscribe())
  await connection.flush()

  const lane = watchedPuller(api, 2_000)
  lane.pull(10)
  await until('the request to be given up', () => lane.ends.length === 1)
  t.equal(lane.ends[0]!.code, 408, 'ended as an expired request is, so that the lane asks again')
  t.ok(lane.ends[0]!.afterMs < 1_500, `after ${Math.round(lane.ends[0]!.afterMs)} ms: two or three heartbeats of 500 ms, well before its 2 s expiry`)
  t.notOk(lane.puller.requesting, 'the lane is free to ask again')
  lane.pull(10)
  t.ok(lane.puller.requesting, 'and does')
  await until('the second request to be given up', () => lane.ends.length === 2)
})
