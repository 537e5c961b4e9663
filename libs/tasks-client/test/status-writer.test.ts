// The batched status writer against a real PostgreSQL: batches, merges, and changes arriving in any
// order (from several replicas) never move a task backwards.
import { randomUUID } from 'node:crypto'
import { createTestDatabase } from '@latchkey/testing'
import t from 'tap'
import { PHASE, TaskStore, type TaskMessage } from '../src/index.ts'

const database = await createTestDatabase()
t.teardown(database.drop)
const store = new TaskStore({ databaseUrl: database.url, flushMs: 20 })
t.teardown(() => store.close())

const message = (): TaskMessage => ({ id: randomUUID(), queue: 'system', type: 'system.echo', priority: 'medium', payload: { n: 1 }, createdAt: Date.now(), offset: 0 })

t.test('many changes become a few statements; one task\'s changes within a batch are merged', async (t) => {
  const before = { ...store.writer.totals }
  const tasks = Array.from({ length: 300 }, message)
  await store.writer.insert(tasks.map((m) => ({ message: m })))
  const now = Date.now()
  await Promise.all(
    tasks.flatMap((task) => [
      store.writer.write({ task, attempts: 1, phase: PHASE.running, status: 'running', startedAt: now, log: { 1: { startedAt: now } } }),
      store.writer.write({ task, attempts: 1, phase: PHASE.finished, status: 'succeeded', startedAt: now, finishedAt: now + 1, result: '{"ok":true}', log: { 1: { startedAt: now, finishedAt: now + 1 } } }),
    ]),
  )
  t.ok(store.writer.totals.statements - before.statements <= 4, `${store.writer.totals.statements - before.statements} statements for 900 changes`)
  const view = await store.get(tasks[7]!.id)
  t.match(view, { status: 'succeeded', attempts: 1, result: { ok: true }, attemptLog: [{ startedAt: new Date(now).toISOString(), finishedAt: new Date(now + 1).toISOString() }] })
})

t.test('changes arriving out of order never move a task backwards; cancelled is kept', async (t) => {
  const task = message()
  const at = Date.now()
  // The worker's outcome arrives before the enqueue's insert and before its own start.
  await store.writer.write({ task, attempts: 2, phase: PHASE.finished, status: 'succeeded', startedAt: at + 10, finishedAt: at + 20, result: '1', log: { 2: { startedAt: at + 10, finishedAt: at + 20 } } })
  await store.writer.write({ task, attempts: 1, phase: PHASE.failed, status: 'failed', startedAt: at, error: 'boom', log: { 1: { startedAt: at, finishedAt: at + 5, error: 'boom' } } })
  t.same(await store.writer.insert([{ message: task }]), [false], 'the late insert finds the row and does nothing')
  const view = await store.get(task.id)
  t.match(view, { status: 'succeeded', attempts: 2, result: 1 })
  t.equal(view!.attemptLog.length, 2, 'both attempts are in the log')
  t.equal(view!.attemptLog[0]!.error, 'boom')

  const other = message()
  await store.writer.insert([{ message: other }])
  t.match(await store.cancel(other.id), { cancelled: true, task: { status: 'cancelled' } })
  await store.writer.write({ task: other, attempts: 1, phase: PHASE.running, status: 'running', startedAt: Date.now(), log: { 1: { startedAt: Date.now() } } })
  t.equal((await store.get(other.id))!.status, 'cancelled', 'a worker that raced the cancel does not undo it')
})

t.test('idempotency keys: the first insert wins', async (t) => {
  const [a, b] = [message(), message()]
  t.same(await store.writer.insert([{ message: a, idempotencyKey: 'k1' }, { message: b, idempotencyKey: 'k1' }]), [true, false])
  t.same([...(await store.findByKeys(['k1'])).values()], [{ id: a.id, status: 'queued' }])
})
