// Real processes (the program with TARGET=task-worker): SIGTERM drains: the worker stops pulling,
// finishes what it runs within the grace period or hands it back, and exits 0.
import t from 'tap'
import { jsonClient, queryDatabase, uniqueNamespace } from '@latchkey/testing'
import { enqueue, spawnWorker, testDatabase, waitForStatus } from './helpers.ts'

t.test('SIGTERM: a draining worker finishes what it runs, then exits 0', async (t) => {
  const env = { DATABASE_URL: await testDatabase(t), NATS_NAMESPACE: uniqueNamespace(t) }
  const worker = await spawnWorker(t, env)
  const client = jsonClient(worker.url)
  const { id } = await enqueue(client, { payload: { sleepMs: 1_500, n: 1 } })
  await waitForStatus(client, id, 'running')
  worker.child.kill('SIGTERM')
  t.equal(await worker.exited, 0, 'exit code 0')
  t.ok(worker.output.some((line) => line.includes('"stopped"')))
  // The process is gone: read the outcome it wrote from the database.
  const [row] = await queryDatabase(env.DATABASE_URL, 'SELECT status, attempts, result FROM tasks WHERE id = $1', [id])
  t.match(row, { status: 'succeeded', attempts: 1, result: { sleepMs: 1_500, n: 1 } }, 'the task finished during the drain, its outcome written before the exit')
})

t.test('SIGTERM with a task longer than the grace period: handed back, exit 0, finished elsewhere', async (t) => {
  const env = { DATABASE_URL: await testDatabase(t), NATS_NAMESPACE: uniqueNamespace(t) }
  // Grace 8 s: the worker drains for 3 s (the grace less 5 s for handing back and closing), then
  // hands back the task, which needs 8 s.
  const worker = await spawnWorker(t, { ...env, SHUTDOWN_GRACE: '8s' })
  const client = jsonClient(worker.url)
  const { id } = await enqueue(client, { payload: { sleepMs: 8_000 } })
  await waitForStatus(client, id, 'running')
  const stopAt = Date.now()
  worker.child.kill('SIGTERM')
  t.equal(await worker.exited, 0, 'exit code 0')
  t.ok(Date.now() - stopAt < 8_000, 'within the grace period')
  const next = await spawnWorker(t, env)
  const done = await waitForStatus(jsonClient(next.url), id, 'succeeded', 30_000)
  t.equal(done.attempts, 2, 'the handed-back attempt counts')
  t.match(done.attemptLog[0]!.error, /handed back/)
  t.ok(done.attemptLog[0]!.finishedAt)
})
