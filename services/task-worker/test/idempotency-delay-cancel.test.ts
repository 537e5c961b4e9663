// Idempotency keys, delayed tasks and cancellation, through HTTP and through the client library
// (the same enqueue path).
import { createTasksClient } from '@latchkey/tasks-client'
import t from 'tap'
import { jsonClient, queryDatabase, waitFor } from '@latchkey/testing'
import { assertApiError, enqueue, getTask, startWorkerApp, waitForStatus } from './helpers.ts'

const app = await startWorkerApp(t, { TASK_CONCURRENCY_FILE_PROCESSING: '1' })
const client = jsonClient(app.url)
const db = app.config.DATABASE_URL

t.test('a second enqueue with the same idempotency key answers the first task', async (t) => {
  const first = await enqueue(client, { idempotencyKey: 'invoice-42', payload: { n: 1 } })
  const second = await enqueue(client, { idempotencyKey: 'invoice-42', payload: { n: 2 } })
  t.equal(second.id, first.id)
  const done = await waitForStatus(client, first.id, 'succeeded')
  t.same(done.result, { n: 1 }, 'the first task ran, with its own payload')
  const third = await enqueue(client, { idempotencyKey: 'invoice-42', payload: { n: 3 } })
  t.same(third, { id: first.id, status: 'succeeded' }, 'later, the key answers the first task with its current status')

  // Concurrent enqueues (and duplicates within one bulk) race on the key: one wins, all agree.
  const racing = await Promise.all(Array.from({ length: 10 }, (_, n) => enqueue(client, { idempotencyKey: 'race-1', payload: { n } })))
  t.equal(new Set(racing.map((r) => r.id)).size, 1, '10 concurrent enqueues, one task')
  const bulk = await client.post('/v1/tasks/bulk', { tasks: [{ queue: 'system', type: 'system.echo', idempotencyKey: 'dup' }, { queue: 'system', type: 'system.echo' }, { queue: 'system', type: 'system.echo', idempotencyKey: 'dup' }] })
  t.equal(bulk.body.items[0].id, bulk.body.items[2].id, 'duplicates in one bulk answer the first')
  t.not(bulk.body.items[1].id, bulk.body.items[0].id)
  await waitForStatus(client, racing[0]!.id, 'succeeded')
  await waitForStatus(client, bulk.body.items[0].id, 'succeeded')
  const rows = await queryDatabase<{ n: number }>(db, `SELECT count(*)::int AS n FROM tasks WHERE idempotency_key IN ('invoice-42', 'race-1', 'dup')`)
  t.equal(rows[0]!.n, 3, 'one row per key')
  const [{ runs }] = (await queryDatabase<{ runs: number }>(db, `SELECT sum(attempts)::int AS runs FROM tasks WHERE idempotency_key IN ('invoice-42', 'race-1', 'dup')`)) as [{ runs: number }]
  t.equal(runs, 3, 'each keyed task ran once')
})

t.test('a delayed task is queued until it is due, then runs', async (t) => {
  const { id } = await enqueue(client, { delayMs: 1_500, payload: { late: true } })
  await new Promise((resolve) => setTimeout(resolve, 700))
  const waiting = await getTask(client, id)
  t.equal(waiting.status, 'queued', 'queued while it waits')
  t.equal(waiting.attempts, 0)
  t.notOk(waiting.startedAt)
  const queues = await client.get('/v1/queues')
  t.equal(queues.body.items[4].pending.medium, 1, 'a delayed task counts as pending')
  const metrics = await (await fetch(`${app.url}/metrics`)).text()
  t.match(metrics, /latchkey_tasks_delayed\{(?=[^}]*queue="system")(?=[^}]*priority="medium")[^}]*\} 1\b/, 'and is reported as delayed')
  const done = await waitForStatus(client, id, 'succeeded', 10_000)
  const waited = Date.parse(done.startedAt!) - Date.parse(done.createdAt)
  t.ok(waited >= 1_500, `started ${waited} ms after its enqueue (delay 1,500)`)
  t.ok(waited < 1_500 + 2_000, 'and not much later')
  t.same(done.result, { late: true })
})

t.test('cancellation of delayed and queued tasks; running and finished ones refuse', async (t) => {
  const delayed = await enqueue(client, { delayMs: 800 })
  const cancelled = await client.post(`/v1/tasks/${delayed.id}/cancel`)
  t.equal(cancelled.status, 200)
  t.match(cancelled.body, { id: delayed.id, status: 'cancelled', attempts: 0 })
  const again = await client.post(`/v1/tasks/${delayed.id}/cancel`)
  t.equal(again.status, 200, 'cancelling again answers the task (idempotent)')
  await new Promise((resolve) => setTimeout(resolve, 1_200))
  t.match(await getTask(client, delayed.id), { status: 'cancelled', attempts: 0, attemptLog: [] }, 'it never ran after its due time')

  // A queued task behind a busy single slot: cancelled before a worker starts it, it never runs,
  // even though its message is already on the stream (the worker drops it).
  const blocker = await enqueue(client, { queue: 'file_processing', payload: { sleepMs: 1_000 } })
  await waitForStatus(client, blocker.id, 'running')
  const queued = await enqueue(client, { queue: 'file_processing', payload: { n: 1 } })
  const res = await client.post(`/v1/tasks/${queued.id}/cancel`)
  t.match(res.body, { status: 'cancelled' })
  assertApiError(t, await client.post(`/v1/tasks/${blocker.id}/cancel`), 409, 'LK_ERR_TASK_NOT_CANCELLABLE', 'a running task cannot be cancelled')
  await waitForStatus(client, blocker.id, 'succeeded')
  const after = await client.post('/v1/tasks', { queue: 'file_processing', type: 'system.echo' })
  await waitForStatus(client, after.body.id, 'succeeded')
  t.match(await getTask(client, queued.id), { status: 'cancelled', attempts: 0 }, 'the cancelled task was dropped, not run')
  await waitFor('the stream to be empty', async () => ((await client.get('/v1/queues')).body.items[2].pending.medium === 0 ? true : undefined))
})

t.test('the client library enqueues without HTTP, through the same path', async (t) => {
  const tasks = createTasksClient({ connection: app.app.nats, databaseUrl: db, namespace: app.namespace })
  t.teardown(() => tasks.close())
  const one = await tasks.enqueue({ queue: 'business_processes', type: 'system.echo', payload: { from: 'client' }, priority: 'high' })
  t.equal(one.status, 'queued')
  t.match(await tasks.get(one.id), { id: one.id, queue: 'business_processes', priority: 'high' }, 'readable as soon as enqueue returns')
  const many = await tasks.enqueueBulk(Array.from({ length: 50 }, (_, n) => ({ queue: 'system' as const, type: 'system.echo', payload: { n } })))
  t.equal(many.length, 50)
  const keyed = await tasks.enqueue({ queue: 'system', type: 'system.echo', idempotencyKey: 'client-key' })
  t.equal((await enqueue(client, { idempotencyKey: 'client-key' })).id, keyed.id, 'HTTP and the client share idempotency keys')
  t.same((await waitForStatus(client, one.id, 'succeeded')).result, { from: 'client' })
  for (const { id } of many) await waitForStatus(client, id, 'succeeded')
  await t.rejects(tasks.enqueue({ queue: 'nope' as never, type: 'system.echo' }), { code: 'LK_ERR_UNKNOWN_QUEUE' }, 'bad input is refused by the client too')
  await t.rejects(tasks.enqueue({ queue: 'system', type: 'system.echo', delayMs: -5 }), { code: 'LK_ERR_INVALID_TASK' })
})

t.test('the client library cancels a task that has not started, as the route does', async (t) => {
  const tasks = createTasksClient({ connection: app.app.nats, databaseUrl: db, namespace: app.namespace })
  t.teardown(() => tasks.close())
  const later = await tasks.enqueue({ queue: 'system', type: 'system.echo', delayMs: 1_000, payload: { never: true } })
  t.match(await tasks.cancel(later.id), { id: later.id, status: 'cancelled' })
  t.match(await tasks.cancel(later.id), { status: 'cancelled' }, 'cancelling again answers the same')
  t.equal((await getTask(client, later.id)).status, 'cancelled', 'every replica reads it cancelled')
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  const after = await getTask(client, later.id)
  t.equal(after.status, 'cancelled', 'its due time passed and it never ran')
  t.equal(after.attempts, 0)

  const done = await tasks.enqueue({ queue: 'system', type: 'system.echo' })
  await waitForStatus(client, done.id, 'succeeded')
  await t.rejects(tasks.cancel(done.id), { code: 'LK_ERR_TASK_NOT_CANCELLABLE' }, 'a finished task refuses')
  await t.rejects(tasks.cancel('00000000-0000-4000-8000-000000000000'), { code: 'LK_ERR_TASK_NOT_FOUND' })
})
