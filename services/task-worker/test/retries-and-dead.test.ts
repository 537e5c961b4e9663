// Retries with exponential backoff and full jitter (delayed NAK), dead tasks and their redrive.
import t from 'tap'
import { retryCeilingMs, retryDelayMs } from '../src/index.ts'
import { jsonClient } from '@latchkey/testing'
import { enqueue, getTask, startWorkerApp, waitForStatus, type TaskBody } from './helpers.ts'

const app = await startWorkerApp(t)
const client = jsonClient(app.url)

t.test('the backoff: exponential ceiling, capped, full jitter below it', async (t) => {
  const policy = { baseMs: 100, maxMs: 1_000 }
  t.same([1, 2, 3, 4, 5, 6].map((n) => retryCeilingMs(n, policy)), [100, 200, 400, 800, 1_000, 1_000])
  t.same([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, policy, () => 0.999_999)), [99, 199, 399, 799, 999], 'the top of the jitter range is the ceiling')
  t.equal(retryDelayMs(3, policy, () => 0), 1, 'the bottom is 1 ms: always a delayed NAK')
  const draws = Array.from({ length: 2_000 }, () => retryDelayMs(3, policy))
  t.ok(draws.every((d) => d >= 1 && d < 400), 'every draw within [1, ceiling)')
  const mean = draws.reduce((a, b) => a + b, 0) / draws.length
  t.ok(mean > 170 && mean < 230, `uniform: mean ${mean.toFixed(0)} ≈ 200`)
})

/** Gaps between an attempt's end and the next one's start, per task. */
const gaps = (task: TaskBody) => task.attemptLog.slice(1).map((entry, i) => Date.parse(entry.startedAt) - Date.parse(task.attemptLog[i]!.finishedAt!))

t.test('failed attempts are retried after a delayed NAK within the backoff bounds', async (t) => {
  // 12 tasks × 2 retries, each wait uniform in [1, 400) ms: never above the ceiling plus slack for
  // redelivery and a busy machine (1 s, still well below the 3 s ack wait that would redeliver a
  // task without any NAK), and on average far from an immediate redelivery.
  const ids = await Promise.all(Array.from({ length: 12 }, () => enqueue(client, { payload: { failTimes: 2 }, maxAttempts: 3, backoff: { baseMs: 400, maxMs: 400 } })))
  const tasks = await Promise.all(ids.map(({ id }) => waitForStatus(client, id, 'succeeded')))
  const all = tasks.flatMap(gaps)
  t.equal(all.length, 24)
  for (const task of tasks) {
    t.equal(task.attempts, 3)
    t.match(task.attemptLog, [{ error: /attempt 1 fails on purpose/ }, { error: /attempt 2 fails on purpose/ }, { finishedAt: String }])
    t.notOk(task.attemptLog[2]!.error)
  }
  t.ok(all.every((gap) => gap >= 0 && gap <= 400 + 1_000), `every wait within the ceiling (max ${Math.max(...all)} ms)`)
  const mean = all.reduce((a, b) => a + b, 0) / all.length
  t.ok(mean >= 80, `waits are real delays, not immediate redeliveries (mean ${mean.toFixed(0)} ms)`)

  // Exponential: the second wait's ceiling is twice the first's.
  const exp = await Promise.all(Array.from({ length: 6 }, () => enqueue(client, { payload: { failTimes: 2 }, maxAttempts: 3, backoff: { baseMs: 150, maxMs: 10_000 } })))
  for (const { id } of exp) {
    const [first, second] = gaps(await waitForStatus(client, id, 'succeeded'))
    t.ok(first! <= 150 + 250 && second! <= 300 + 250, `waits ${first} ms ≤ 150 and ${second} ms ≤ 300 (+ slack)`)
  }
})

t.test('a task that spends its attempts is dead: kept, visible, and redrivable', async (t) => {
  const { id } = await enqueue(client, { queue: 'workflow', payload: { failTimes: 3 }, maxAttempts: 2, backoff: { baseMs: 20, maxMs: 20 } })
  const dead = await waitForStatus(client, id, 'dead')
  t.equal(dead.attempts, 2)
  t.match(dead.error, /attempt 2 fails on purpose/)
  t.equal(dead.attemptLog.length, 2)
  t.ok(dead.finishedAt, 'a dead task has finished')

  const listed = await client.get<{ items: TaskBody[] }>('/v1/tasks?status=dead&queue=workflow')
  t.same(listed.body.items.map((task) => task.id), [id], 'GET /v1/tasks?status=dead shows it')
  const queues = await client.get('/v1/queues')
  t.equal(queues.body.items.find((q: { name: string }) => q.name === 'workflow').dead, 1, 'GET /v1/queues counts it')
  const deadGauge = /latchkey_tasks_dead\{queue="workflow"\} (\d+)/
  t.equal((await (await fetch(`${app.url}/metrics`)).text()).match(deadGauge)?.[1], '1', 'so does the dead-task gauge')

  const redrive = await client.post('/v1/queues/workflow/dead/redrive')
  t.same(redrive.body, { redriven: 1 })
  // Attempts continue: attempt 3 fails (failTimes = 3), attempt 4 succeeds.
  const done = await waitForStatus(client, id, 'succeeded')
  t.equal(done.attempts, 4, 'attempts count on after a redrive')
  t.equal(done.attemptLog.length, 4)
  t.match(done.attemptLog[2]?.error, /attempt 3 fails on purpose/)
  t.notOk(done.error)
  t.equal((await client.get('/v1/queues')).body.items.find((q: { name: string }) => q.name === 'workflow').dead, 0)
  t.equal((await (await fetch(`${app.url}/metrics`)).text()).match(deadGauge)?.[1], '0', 'the gauge falls back to 0')
  t.same((await client.post('/v1/queues/workflow/dead/redrive')).body, { redriven: 0 }, 'nothing left to redrive')
})

t.test('a task type without a handler in the worker dies with a readable error', async (t) => {
  // The HTTP route refuses unknown types; a client without a catalog can still send one.
  const { createTasksClient } = await import('@latchkey/tasks-client')
  const tasks = createTasksClient({ connection: app.app.nats, databaseUrl: app.config.DATABASE_URL, namespace: app.namespace })
  t.teardown(() => tasks.close())
  const { id } = await tasks.enqueue({ queue: 'system', type: 'billing.invoice' })
  const dead = await waitForStatus(client, id, 'dead')
  t.match(dead.error, /no handler for task type billing\.invoice/)
  t.equal(dead.attempts, 1)
  t.equal((await getTask(client, id)).status, 'dead')
})

t.test('an attempt running past its timeout fails (its abort signal fires) and is retried', async (t) => {
  const quick = await startWorkerApp(t, { TASK_DEFAULT_TIMEOUT: '300ms' })
  const quickClient = jsonClient(quick.url)
  const { id } = await enqueue(quickClient, { payload: { sleepMs: 5_000 }, maxAttempts: 2, backoff: { baseMs: 10, maxMs: 10 } })
  const dead = await waitForStatus(quickClient, id, 'dead', 10_000)
  t.equal(dead.attempts, 2)
  t.match(dead.attemptLog.map((a) => a.error), [/timed out after 300 ms/, /timed out after 300 ms/])
  const took = Date.parse(dead.attemptLog[0]!.finishedAt!) - Date.parse(dead.attemptLog[0]!.startedAt)
  t.ok(took < 2_000, `the attempt ended at its timeout (${took} ms), not after its 5 s sleep`)
})
