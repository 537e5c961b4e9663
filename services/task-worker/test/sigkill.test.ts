// Real processes (the program with TARGET=task-worker): a worker killed with SIGKILL mid-task
// loses nothing: another replica completes the task, and the crashed attempt counts.
import t from 'tap'
import { jsonClient, uniqueNamespace, waitFor } from '@latchkey/testing'
import { enqueue, getTask, spawnWorker, testDatabase, waitForStatus } from './helpers.ts'

const running = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text()
  const match = /latchkey_tasks_running\{queue="system"\} (\d+)/.exec(text)
  return Number(match?.[1] ?? 0)
}

t.test('SIGKILL mid-task: redelivered after the ack wait, completed by another worker, the crashed attempt counted', async (t) => {
  const env = { DATABASE_URL: await testDatabase(t), NATS_NAMESPACE: uniqueNamespace(t), TASK_ACK_WAIT: '2s' }
  const workers = await Promise.all([spawnWorker(t, env), spawnWorker(t, env)])
  const client = jsonClient(workers[0]!.url)
  // 4 s of work with a 2 s ack wait: only lease extension (working) keeps it from being redelivered.
  const { id } = await enqueue(client, { payload: { sleepMs: 4_000 } })
  const holder = await waitFor('a worker to run the task', async () => {
    for (const worker of workers) if ((await running(worker.url)) === 1) return worker
    return undefined
  })
  const other = workers.find((w) => w !== holder)!
  await new Promise((resolve) => setTimeout(resolve, 2_500))
  t.match(await getTask(jsonClient(other.url), id), { status: 'running', attempts: 1 }, 'past its ack wait, the running task kept its lease')

  holder.child.kill('SIGKILL')
  t.equal(await holder.exited, 'SIGKILL')
  const done = await waitForStatus(jsonClient(other.url), id, 'succeeded', 20_000)
  t.equal(done.attempts, 2, 'the crashed attempt counts')
  t.equal(done.attemptLog.length, 2)
  t.notOk(done.attemptLog[0]!.finishedAt, 'the crashed attempt has no end')
  t.match(done.attemptLog[0]!.error, /no outcome recorded/)
  t.ok(done.attemptLog[1]!.finishedAt)
  t.ok(Date.parse(done.attemptLog[1]!.startedAt) - Date.parse(done.attemptLog[0]!.startedAt) >= 2_000, 'redelivered after the ack wait')
})

