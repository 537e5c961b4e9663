// A real worker process (TARGET=task-worker) on a nats-server of the test's own, which goes away
// while tasks run, wait fetched in the worker and wait in the stream, and comes back on the same
// port with the same JetStream store. The outage degrades the worker and it recovers by itself,
// without a restart: every task finishes with one attempt, enqueues refused during the outage leave
// nothing behind, and the same process takes new work once NATS is back.
import t from 'tap'
import { jsonClient, queryDatabase, startPrivateNats, uniqueNamespace, waitFor, type JsonClient } from '@latchkey/testing'
import { assertApiError, enqueue, spawnWorker, testDatabase, type TapTest } from './helpers.ts'

interface Row {
  id: string
  queue: string
  status: string
  attempts: number
}

const rows = async (databaseUrl: string): Promise<Row[]> => queryDatabase<Row>(databaseUrl, 'SELECT id::text, queue, status, attempts FROM tasks')
const count = async (databaseUrl: string, where: (row: Row) => boolean): Promise<number> => (await rows(databaseUrl)).filter(where).length

/** Handler runs that succeeded, from the worker's own counter. */
const succeededRuns = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text()
  return [...text.matchAll(/^latchkey_tasks_outcomes_total\{[^}]*outcome="succeeded"[^}]*\} (\d+)$/gm)].reduce((sum, match) => sum + Number(match[1]), 0)
}

/** Waits until /readyz shows NATS in `state`; answers the HTTP status seen then. */
const natsReadiness = (client: JsonClient, state: 'up' | 'down'): Promise<number> =>
  waitFor(`/readyz to show NATS ${state}`, async () => {
    const res = await client.get('/readyz')
    return res.body?.checks?.nats?.state === state ? res.status : undefined
  })

/** Waits (30 s at most) until every task of `ids` has succeeded. */
const allSucceeded = (databaseUrl: string, ids: string[], what: string): Promise<Row[]> =>
  waitFor(
    what,
    async () => {
      const all = await rows(databaseUrl)
      const succeeded = new Set(all.filter((row) => row.status === 'succeeded').map((row) => row.id))
      return ids.every((id) => succeeded.has(id)) ? all : undefined
    },
    { timeoutMs: 30_000, intervalMs: 100 },
  )

/** The outage, by how NATS goes away: `stop` as an operator's restart (SIGTERM), `kill` as a crash. */
async function outage(t: TapTest, how: 'stop' | 'kill'): Promise<void> {
  const nats = await startPrivateNats(t)
  const databaseUrl = await testDatabase(t)
  // Ack wait 3 s (the tests' default), an outage longer than that: the server's leases on what the
  // worker holds run out, since the renewals sent during the outage never reach it.
  const worker = await spawnWorker(t, {
    DATABASE_URL: databaseUrl,
    NATS_URL: nats.url,
    NATS_NAMESPACE: uniqueNamespace(t, nats.url),
    TASK_CONCURRENCY_SYSTEM: '4',
    TASK_CONCURRENCY_WORKFLOW: '4',
    TASK_PREFETCH: '4',
  })
  const client = jsonClient(worker.url)
  // system: 4 tasks of 7 s run through the whole outage, 4 more wait fetched. workflow: 4 tasks of
  // 1 s finish during the outage (their acknowledgements cannot reach NATS), the 4 fetched next
  // run and finish during it too, 4 wait in the stream.
  const long = await Promise.all(Array.from({ length: 8 }, (_, n) => enqueue(client, { queue: 'system', payload: { sleepMs: 7_000, n } })))
  const short = await Promise.all(Array.from({ length: 12 }, (_, n) => enqueue(client, { queue: 'workflow', payload: { sleepMs: 1_000, n } })))
  const before = [...long, ...short].map((task) => task.id)
  await waitFor('4 tasks running on each queue', async () => ((await count(databaseUrl, (row) => row.status === 'running')) === 8 ? true : undefined))

  await nats[how]()
  const downAt = Date.now()
  t.equal(await natsReadiness(client, 'down'), 503, '/readyz answers 503 and names NATS as down')

  const rowsBefore = (await rows(databaseUrl)).length
  const askedAt = Date.now()
  const refused = await client.post('/v1/tasks', { queue: 'system', type: 'system.echo', payload: { during: 'outage' } })
  const answeredIn = Date.now() - askedAt
  assertApiError(t, refused, 503, 'LK_ERR_UNAVAILABLE', 'an enqueue while NATS is down')
  t.match(refused.body.message, /task queue is unavailable.*NATS is unreachable/, 'the message says why')
  t.ok(answeredIn < 1_000, `answered at once (${answeredIn} ms), not after the 5 s publish timeout`)
  t.equal((await rows(databaseUrl)).length, rowsBefore, 'nothing recorded for the refused task')
  // A delayed task needs no NATS to be accepted: it waits in PostgreSQL for the dispatcher.
  const delayed = await enqueue(client, { queue: 'workflow', payload: { delayed: true }, delayMs: 200 })
  t.pass('a delayed task is accepted (202) while NATS is down')
  // A keyed task is written before it is published: refused, but kept for the dispatcher, and a
  // retry with its key answers it.
  const keyedInput = { queue: 'workflow', type: 'system.echo', payload: { keyed: true }, idempotencyKey: 'outage-keyed' }
  assertApiError(t, await client.post('/v1/tasks', keyedInput), 503, 'LK_ERR_UNAVAILABLE', 'a keyed enqueue while NATS is down')
  const [keyedRow] = await queryDatabase<{ id: string; status: string }>(databaseUrl, "SELECT id::text, status FROM tasks WHERE idempotency_key = 'outage-keyed'")
  t.equal(keyedRow?.status, 'queued', 'the refused keyed task keeps its row, to be published by the dispatcher')
  const keyedRetry = await client.post('/v1/tasks', keyedInput)
  t.same({ status: keyedRetry.status, id: keyedRetry.body?.id }, { status: 202, id: keyedRow?.id }, 'a retry with the same key answers that task')

  await waitFor('the fetched workflow tasks to finish during the outage', async () => ((await count(databaseUrl, (row) => row.queue === 'workflow' && row.status === 'succeeded')) === 8 ? true : undefined))
  await waitFor('the outage to outlast the ack wait', () => (Date.now() - downAt > 4_500 ? true : undefined), { timeoutMs: 10_000, intervalMs: 100 })
  t.equal(await count(databaseUrl, (row) => row.queue === 'system' && row.status === 'running'), 4, 'the long tasks still run as NATS returns')
  t.equal(worker.child.exitCode, null, 'the process stayed up through the outage')
  t.equal((await client.get('/healthz')).status, 200, 'and answers /healthz')

  await nats.start()
  const backAt = Date.now()
  t.equal(await natsReadiness(client, 'up'), 200, '/readyz answers 200 again once NATS is back')
  await allSucceeded(databaseUrl, [...before, delayed.id, keyedRow!.id], 'every task enqueued before and during the outage to succeed')
  t.pass(`every task enqueued before the outage, the delayed one and the keyed one succeeded ${Date.now() - backAt} ms after NATS returned`)

  const afterAt = Date.now()
  const after = await Promise.all(Array.from({ length: 6 }, (_, n) => enqueue(client, { queue: n % 2 ? 'system' : 'workflow', payload: { after: n } })))
  const final = await allSucceeded(databaseUrl, after.map((task) => task.id), 'the tasks enqueued after the outage to succeed')
  t.pass(`new tasks are accepted and run by the same process (${Date.now() - afterAt} ms)`)

  const accepted = [...before, delayed.id, keyedRow!.id, ...after.map((task) => task.id)]
  t.same(final.map((row) => row.id).sort(), [...accepted].sort(), 'one row for each accepted or kept task; the refused plain one never appeared')
  t.same(final.filter((row) => row.status !== 'succeeded' || row.attempts !== 1), [], 'each succeeded with one attempt: the outage spent none')
  const runs = await succeededRuns(worker.url)
  if (how === 'stop') t.equal(runs, accepted.length, 'each handler ran once')
  else {
    // A crashed server may not have written its last deliveries: it makes them again as first
    // deliveries, which nothing tells from new ones, so a task that finished during the outage may
    // run again (delivery is at least once; handlers are idempotent). Its row keeps one outcome,
    // and nothing the worker still held ran twice.
    t.ok(runs >= accepted.length && runs <= accepted.length + 8, `handler runs: ${runs} for ${accepted.length} tasks; again at most the 8 that finished during the outage`)
  }
}

t.test('NATS restarted while tasks run and wait: enqueues answer 503 meanwhile; after it, every task finishes once and new ones run', (t) => outage(t, 'stop'))

t.test('NATS crashes (SIGKILL) while tasks run and wait: the same recovery, each task with one outcome and one attempt', (t) => outage(t, 'kill'))
