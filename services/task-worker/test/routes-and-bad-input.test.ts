// The task routes of the contract, and bad input on each: always a 4xx in the contract's error
// shape with an LK_ code, and nothing enqueued (no row, no message on the stream).
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { subjects } from '@latchkey/events'
import t from 'tap'
import { jsonClient } from '@latchkey/testing'
import { assertApiError, enqueue, getTask, natsUrl, startWorkerApp, taskCount, waitForStatus, type TaskBody } from './helpers.ts'

const app = await startWorkerApp(t, { TASK_MAX_PAYLOAD_BYTES: '2048' })
const client = jsonClient(app.url)
const db = app.config.DATABASE_URL

async function streamMessages(): Promise<number> {
  const connection = await connect({ servers: natsUrl })
  try {
    const info = await (await jetstreamManager(connection)).streams.info(subjects(app.namespace).taskStream)
    return info.state.messages
  } finally {
    await connection.close()
  }
}

t.test('bad input: a 4xx with an LK_ code, nothing enqueued', async (t) => {
  const echo = { queue: 'system', type: 'system.echo' }
  const cases: { what: string; body?: unknown; raw?: string; path?: string; status: number; code?: string }[] = [
    { what: 'malformed JSON', raw: '{"queue": ', status: 400, code: 'LK_ERR_MALFORMED_JSON' },
    { what: 'an empty body', raw: '', status: 400 },
    { what: 'a JSON array', body: [], status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'no queue', body: { type: 'system.echo' }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'an unknown queue', body: { ...echo, queue: 'emails' }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'a number for the queue', body: { ...echo, queue: 5 }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'no type', body: { queue: 'system' }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'an unknown task type', body: { ...echo, type: 'nope.nothing' }, status: 400, code: 'LK_ERR_UNKNOWN_TASK_TYPE' },
    { what: 'a type with spaces', body: { ...echo, type: 'system echo' }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'a bad priority', body: { ...echo, priority: 'urgent' }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'a number for the priority', body: { ...echo, priority: 1 }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'a negative delay', body: { ...echo, delayMs: -1 }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'a fractional delay', body: { ...echo, delayMs: 1.5 }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'a delay as a string', body: { ...echo, delayMs: '10' }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'a delay over 30 days', body: { ...echo, delayMs: 31 * 86_400_000 }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'maxAttempts 0', body: { ...echo, maxAttempts: 0 }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'maxAttempts 101', body: { ...echo, maxAttempts: 101 }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'a zero backoff base', body: { ...echo, backoff: { baseMs: 0 } }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'an empty idempotency key', body: { ...echo, idempotencyKey: '' }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'an idempotency key over 200 characters', body: { ...echo, idempotencyKey: 'k'.repeat(201) }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'an oversized payload', body: { ...echo, payload: { blob: 'x'.repeat(4_000) } }, status: 413, code: 'LK_ERR_PAYLOAD_TOO_LARGE' },
    { what: 'a body over the body limit', body: { ...echo, payload: { blob: 'x'.repeat(1_100_000) } }, status: 413, code: 'LK_ERR_BODY_TOO_LARGE' },
    { what: 'bulk: no tasks', path: '/v1/tasks/bulk', body: { tasks: [] }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'bulk: 1,001 tasks', path: '/v1/tasks/bulk', body: { tasks: Array.from({ length: 1001 }, () => echo) }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'bulk: one bad priority among good tasks', path: '/v1/tasks/bulk', body: { tasks: [echo, echo, { ...echo, priority: 'now' }] }, status: 400, code: 'LK_ERR_VALIDATION' },
    { what: 'bulk: one unknown type among good tasks', path: '/v1/tasks/bulk', body: { tasks: [echo, { ...echo, type: 'nope.nothing' }] }, status: 400, code: 'LK_ERR_UNKNOWN_TASK_TYPE' },
    { what: 'bulk: one oversized payload among good tasks', path: '/v1/tasks/bulk', body: { tasks: [echo, { ...echo, payload: 'y'.repeat(3_000) }] }, status: 413, code: 'LK_ERR_PAYLOAD_TOO_LARGE' },
    { what: 'bulk: malformed JSON', path: '/v1/tasks/bulk', raw: '{"tasks": [', status: 400, code: 'LK_ERR_MALFORMED_JSON' },
  ]
  for (const c of cases) {
    const res = await client.post(c.path ?? '/v1/tasks', c.body, c.raw !== undefined ? { raw: c.raw, headers: { 'content-type': 'application/json' } } : undefined)
    assertApiError(t, res, c.status, c.code, c.what)
  }
  const gets: [string, number, string][] = [
    ['/v1/tasks/not-a-uuid', 400, 'LK_ERR_VALIDATION'],
    ['/v1/tasks/7a1c9e8e-0000-4000-8000-000000000000', 404, 'LK_ERR_TASK_NOT_FOUND'],
    ['/v1/tasks?status=bogus', 400, 'LK_ERR_VALIDATION'],
    ['/v1/tasks?queue=bogus', 400, 'LK_ERR_VALIDATION'],
    ['/v1/tasks?limit=0', 400, 'LK_ERR_INVALID_TASK'],
    ['/v1/tasks?limit=5000', 400, 'LK_ERR_INVALID_TASK'],
    ['/v1/tasks?limit=abc', 400, 'LK_ERR_VALIDATION'],
  ]
  for (const [path, status, code] of gets) assertApiError(t, await client.get(path), status, code, `GET ${path}`)
  assertApiError(t, await client.post('/v1/tasks/7a1c9e8e-0000-4000-8000-000000000000/cancel'), 404, 'LK_ERR_TASK_NOT_FOUND', 'cancel of an unknown task')
  assertApiError(t, await client.post('/v1/tasks/nope/cancel'), 400, 'LK_ERR_VALIDATION', 'cancel with a malformed id')
  assertApiError(t, await client.post('/v1/queues/bogus/dead/redrive'), 400, 'LK_ERR_VALIDATION', 'redrive of an unknown queue')

  t.equal(await taskCount(db), 0, 'no task row was written')
  t.equal(await streamMessages(), 0, 'no message reached the stream')
})

t.test('the routes of the contract', async (t) => {
  const accepted = await client.post('/v1/tasks', { queue: 'auth', type: 'system.echo', payload: { hello: 'auth' }, priority: 'high' })
  t.equal(accepted.status, 202)
  t.match(accepted.body, { id: /^[0-9a-f-]{36}$/, status: 'queued' })
  t.same(Object.keys(accepted.body).sort(), ['id', 'status'])
  const done = await waitForStatus(client, accepted.body.id, 'succeeded')
  t.match(done, { id: accepted.body.id, queue: 'auth', type: 'system.echo', priority: 'high', status: 'succeeded', attempts: 1, result: { hello: 'auth' } }, 'system.echo runs on any queue and returns its payload')
  t.ok(Date.parse(done.createdAt) <= Date.parse(done.startedAt!) && Date.parse(done.startedAt!) <= Date.parse(done.finishedAt!), 'createdAt ≤ startedAt ≤ finishedAt')
  t.equal(done.attemptLog.length, 1)
  t.match(done.attemptLog[0], { startedAt: done.startedAt, finishedAt: done.finishedAt })

  const bulk = await client.post('/v1/tasks/bulk', { tasks: [1, 2, 3].map((n) => ({ queue: 'system', type: 'system.echo', payload: { n } })) })
  t.equal(bulk.status, 202)
  t.equal(bulk.body.items.length, 3)
  for (const [i, item] of (bulk.body.items as { id: string }[]).entries()) {
    const task = await waitForStatus(client, item.id, 'succeeded')
    t.same(task.result, { n: i + 1 }, `bulk answers in request order (${i})`)
  }
  t.equal(bulk.body.items.every((i: { status: string }) => i.status === 'queued'), true)

  const list = await client.get<{ items: TaskBody[] }>('/v1/tasks?limit=2')
  t.equal(list.status, 200)
  t.equal(list.body.items.length, 2, 'limit')
  const all = await client.get<{ items: TaskBody[] }>('/v1/tasks')
  t.equal(all.body.items.length, 4)
  t.ok(all.body.items.every((task, i, items) => i === 0 || Date.parse(items[i - 1]!.createdAt) >= Date.parse(task.createdAt)), 'newest first')
  const byQueue = await client.get<{ items: TaskBody[] }>('/v1/tasks?queue=auth&status=succeeded')
  t.same(byQueue.body.items.map((task) => task.id), [accepted.body.id], 'filtered by queue and status')
  t.same((await client.get('/v1/tasks?status=dead')).body, { items: [] })

  const queues = await client.get('/v1/queues')
  t.equal(queues.status, 200)
  t.same(queues.body.items.map((q: { name: string }) => q.name), ['workflow', 'auth', 'file_processing', 'business_processes', 'system'])
  t.match(queues.body.items[4], { name: 'system', pending: { high: 0, medium: 0, low: 0 }, running: 0, dead: 0 })
  t.same((await client.post('/v1/queues/system/dead/redrive')).body, { redriven: 0 })

  const succeeded = await client.post(`/v1/tasks/${accepted.body.id}/cancel`)
  assertApiError(t, succeeded, 409, 'LK_ERR_TASK_NOT_CANCELLABLE', 'a succeeded task cannot be cancelled')
  t.equal((await getTask(client, accepted.body.id)).status, 'succeeded')

  const openapi = await client.get('/docs/json')
  for (const path of ['/v1/tasks', '/v1/tasks/bulk', '/v1/tasks/{id}', '/v1/tasks/{id}/cancel', '/v1/queues', '/v1/queues/{queue}/dead/redrive']) {
    t.ok(openapi.body.paths[path], `OpenAPI documents ${path}`)
  }
  const metrics = await (await fetch(`${app.url}/metrics`)).text()
  t.match(metrics, /latchkey_tasks_outcomes_total\{queue="system",type="system.echo",outcome="succeeded"\} 3/, 'outcomes are counted per queue')
  t.match(metrics, /latchkey_tasks_outcomes_total\{queue="auth",type="system.echo",outcome="succeeded"\} 1/)
  t.match(metrics, /latchkey_tasks_duration_seconds_bucket/, 'durations are measured')
  t.match(metrics, /latchkey_tasks_queue_depth\{[^}]*queue="system"/, 'queue depth per queue and lane')
  t.match(metrics, /latchkey_tasks_enqueued_total/, 'enqueues are counted')
})

t.test('a payload the handler rejects fails the task with a readable error, never the worker', async (t) => {
  const bad = await enqueue(client, { payload: { failTimes: 'twice' } })
  const dead = await waitForStatus(client, bad.id, 'dead')
  t.equal(dead.attempts, 1, 'not retried: retrying cannot help')
  t.match(dead.error, /payload\.failTimes must be an integer/)
  t.match(dead.attemptLog[0]?.error, /payload\.failTimes/)
  const good = await enqueue(client, { payload: { after: 'bad' } })
  t.equal((await waitForStatus(client, good.id, 'succeeded')).status, 'succeeded', 'the worker goes on')
})
