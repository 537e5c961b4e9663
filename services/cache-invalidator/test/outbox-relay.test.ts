// The outbox relay, against a nats-server of the test's own: every committed change reaches the
// change stream exactly once, in order per organization, even when NATS is down while the writes
// happen (the outbox keeps them; they go out when NATS returns). Two permission replicas run, so
// two relays compete for the one publisher's lock.
import { setTimeout as sleep } from 'node:timers/promises'
import { createOrgFixture, expect2xx, startPrivateNats, waitFor } from '@latchkey/testing'
import t from 'tap'
import {
  createDeployment,
  jetstream,
  jetstreamManager,
  metricValue,
  natsClient,
  outboxRows,
  readStream,
  setMembership,
  setRole,
  waitForOutboxPublished,
  type OutboxRow,
  type StreamMessage,
  type TapTest,
} from './helpers.ts'

const nats = await startPrivateNats(t)
const deployment = await createDeployment(t, { natsUrl: nats.url })
const [a, b] = await Promise.all([deployment.start('a', 'permission'), deployment.start('b', 'permission')])
const connection = await natsClient(t, nats.url)

/** Every outbox row is in the stream exactly once, as its own event, and each organization's events are in revision order. */
function assertStreamMatchesOutbox(t: TapTest, rows: OutboxRow[], messages: StreamMessage[]) {
  const ids = messages.map((m) => m.event.id)
  t.equal(messages.length, rows.length, `the stream holds ${rows.length} messages, one per outbox row`)
  t.equal(new Set(ids).size, ids.length, 'no event is stored twice')
  t.same([...ids].sort(), rows.map((r) => r.event_id).sort(), 'every outbox event is in the stream')
  t.ok(
    messages.every((m) => m.msgId === m.event.id),
    'each message carries its event id as Nats-Msg-Id',
  )
  const byId = new Map(rows.map((row) => [row.event_id, row]))
  const mismatched = messages.filter((m) => {
    const row = byId.get(m.event.id)!
    return m.subject !== `${deployment.namespace}.changes.${row.org_id ?? 'global'}` || m.event.revision !== row.org_seq || m.event.sequence !== row.id || m.event.type !== row.type
  })
  t.same(mismatched.map((m) => m.event.id), [], 'each message is on its organization’s subject and carries the row’s revision, sequence and type')
  t.same(
    messages.map((m) => JSON.stringify(m.event.invalidations)),
    messages.map((m) => JSON.stringify(byId.get(m.event.id)!.invalidations)),
    'each event carries the invalidations recorded with its change',
  )
  const orgs = new Set(rows.filter((r) => r.org_id).map((r) => r.org_id!))
  for (const org of orgs) {
    const inStream = messages.filter((m) => m.event.orgId === org).map((m) => Number(m.event.revision))
    const committed = rows.filter((r) => r.org_id === org).map((r) => Number(r.org_seq))
    t.same(inStream, committed, `organization ${org}: its events are stored in commit order`)
    t.same(inStream, Array.from({ length: inStream.length }, (_, i) => i + 1), `organization ${org}: revisions 1..${inStream.length}, none missing or repeated`)
  }
}

t.test('one relay publishes at a time, whatever the number of permission replicas', async (t) => {
  const leaders = await waitFor('one relay to lead', async () => {
    const flags = await Promise.all([a, b].map(async (replica) => metricValue(await replica.metrics(), 'latchkey_outbox_relay_leader')))
    return flags[0] !== undefined && flags[1] !== undefined && flags[0] + flags[1] === 1 ? flags : undefined
  })
  t.same([...leaders].sort(), [0, 1], 'exactly one of the two replicas leads')
})

t.test('writes made while NATS is down succeed, wait in the outbox, and go out exactly once and in order when it returns', async (t) => {
  const manager = await jetstreamManager(connection)
  const spec = { roles: { viewer: { permissions: ['deals.view'] }, editor: { permissions: ['deals.edit'], inherits: ['viewer'] } }, members: { ann: ['viewer'], bob: ['editor'] } }
  const first = await createOrgFixture(a, { ...spec, slugPrefix: 'relay-one' })
  const second = await createOrgFixture(b, { ...spec, slugPrefix: 'relay-two' })
  const before = await waitForOutboxPublished(deployment.databaseUrl)
  assertStreamMatchesOutbox(t, before, await readStream(manager, deployment.stream))

  await nats.kill()
  // Writes on both replicas, to both organizations, interleaved; and a change outside any organization.
  const writes: Promise<string>[] = []
  for (let i = 0; i < 8; i++) {
    const writer = i % 2 === 0 ? a : b
    for (const fx of [first, second]) {
      writes.push(i % 3 === 2 ? setRole(writer, fx.slug, 'viewer', i % 2 ? ['deals.view'] : ['deals.view', 'deals.edit']) : setMembership(writer, fx.slug, fx.users.ann, i % 2 ? ['viewer'] : ['editor']))
    }
    // One write at a time per pair, so that the two organizations' revisions advance together.
    await Promise.all(writes.splice(0))
  }
  const global = expect2xx(await a.post('/v1/permissions', { key: 'relay.offline' }), 'a new permission while NATS is down')
  t.equal(global.status, 201, 'a change outside any organization succeeds too')
  t.equal((await a.get(`/v1/orgs/${first.slug}`)).body.revision, String(Number(first.revision) + 8), 'the first organization moved 8 revisions')
  t.equal((await b.get(`/v1/orgs/${second.slug}`)).body.revision, String(Number(second.revision) + 8), 'the second organization moved 8 revisions')

  const waiting = (await outboxRows(deployment.databaseUrl)).filter((row) => !row.published)
  t.equal(waiting.length, 17, 'the 17 events wait in the outbox, unpublished')
  // The relays keep trying meanwhile; nothing is marked published while NATS is away.
  await sleep(2_000)
  t.equal((await outboxRows(deployment.databaseUrl)).filter((row) => !row.published).length, 17, 'still unpublished two seconds later')

  await nats.start()
  const started = performance.now()
  const after = await waitForOutboxPublished(deployment.databaseUrl, 30_000)
  t.comment(`every waiting event was published ${(performance.now() - started).toFixed(0)} ms after NATS came back`)
  t.ok(after.every((row) => row.published), 'published_at is set on every row')
  assertStreamMatchesOutbox(t, after, await readStream(manager, deployment.stream))
})

t.test('writes flowing while NATS crashes and returns: every event is stored exactly once, in order', async (t) => {
  const manager = await jetstreamManager(connection)
  const fx = await createOrgFixture(a, { slugPrefix: 'flow', roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'], bob: ['viewer'] } })
  let writing = true
  let count = 0
  // Two writers (one per replica) to the same organization, with no pause: some publishes are in
  // flight when the server dies, and some of those may have been stored without their ack arriving.
  const writer = async (replica: typeof a, user: string) => {
    for (let i = 0; writing; i++) {
      await setMembership(replica, fx.slug, user, i % 2 ? ['viewer'] : [])
      count++
    }
  }
  const writers = Promise.all([writer(a, fx.users.ann), writer(b, fx.users.bob)])
  await waitFor('some writes before the crash', () => (count >= 20 ? true : undefined), { intervalMs: 10 })
  await nats.kill()
  await waitFor('some writes while NATS is down', () => (count >= 40 ? true : undefined), { intervalMs: 10 })
  await nats.start()
  await waitFor('some writes after NATS returned', () => (count >= 60 ? true : undefined), { intervalMs: 10 })
  writing = false
  await writers
  t.comment(`${count} writes across the crash`)

  const rows = await waitForOutboxPublished(deployment.databaseUrl, 30_000)
  assertStreamMatchesOutbox(t, rows, await readStream(manager, deployment.stream))
})

t.test('a second publish of an event (a relay retrying) is stored once', async (t) => {
  const fx = await createOrgFixture(a, { slugPrefix: 'dedup', roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'] } })
  const rows = await waitForOutboxPublished(deployment.databaseUrl)
  const manager = await jetstreamManager(connection)
  const before = await manager.streams.info(deployment.stream)
  const last = rows.filter((row) => row.org_id === fx.orgId).at(-1)!
  const stored = (await readStream(manager, deployment.stream)).find((m) => m.event.id === last.event_id)!

  const ack = await jetstream(connection).publish(stored.subject, JSON.stringify(stored.event), { msgID: last.event_id })
  t.equal(ack.duplicate, true, 'JetStream recognizes the event id as a duplicate')
  t.equal(ack.seq, stored.seq, 'and answers with the sequence of the first copy')
  const afterInfo = await manager.streams.info(deployment.stream)
  t.equal(afterInfo.state.messages, before.state.messages, 'the stream holds no more messages than before')
  t.equal(afterInfo.state.last_seq, before.state.last_seq)

  // The relays see nothing left to publish: a new write is the next message, with no copy of older ones.
  const revision = await setMembership(a, fx.slug, fx.users.ann, [])
  await waitForOutboxPublished(deployment.databaseUrl)
  const messages = await readStream(manager, deployment.stream)
  t.equal(messages.length, before.state.messages + 1, 'one new message for the one new write')
  t.equal(messages.at(-1)!.event.revision, revision, 'it is the new write')
  assertStreamMatchesOutbox(t, await outboxRows(deployment.databaseUrl), messages)
})

t.test('when the publishing replica dies, the other takes over: nothing lost, nothing stored twice, order kept', async (t) => {
  const manager = await jetstreamManager(connection)
  const leaderFlags = await Promise.all([a, b].map(async (replica) => metricValue(await replica.metrics(), 'latchkey_outbox_relay_leader')))
  const [leader, survivor] = leaderFlags[0] === 1 ? [a, b] : [b, a]
  t.equal(metricValue(await leader.metrics(), 'latchkey_outbox_relay_leader'), 1, `${leader.name} publishes now`)
  const fx = await createOrgFixture(survivor, { slugPrefix: 'failover', roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'] } })

  // Writes flow on the survivor while the leader is killed (possibly between a publish and its
  // published_at update).
  let writing = true
  let count = 0
  const writer = (async () => {
    for (let i = 0; writing; i++) {
      await setMembership(survivor, fx.slug, fx.users.ann, i % 2 ? ['viewer'] : [])
      count++
    }
  })()
  await waitFor('some writes before the kill', () => (count >= 15 ? true : undefined), { intervalMs: 5 })
  leader.process.child.kill('SIGKILL')
  await leader.process.exited
  await waitFor('some writes after the kill', () => (count >= 40 ? true : undefined), { intervalMs: 10 })
  writing = false
  await writer

  const started = performance.now()
  const rows = await waitForOutboxPublished(deployment.databaseUrl, 30_000)
  t.comment(`${count} writes; every row was published ${(performance.now() - started).toFixed(0)} ms after the writes stopped`)
  t.equal(metricValue(await survivor.metrics(), 'latchkey_outbox_relay_leader'), 1, `${survivor.name} took over`)
  assertStreamMatchesOutbox(t, rows, await readStream(manager, deployment.stream))
})
