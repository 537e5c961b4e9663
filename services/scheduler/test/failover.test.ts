// The proof of "exactly once per tick however many replicas run": three scheduler replicas as real
// processes share one database and one NATS namespace, with a task worker; the leader is killed
// with SIGKILL and then the next leader stopped with SIGTERM while a schedule fires every second.
// Every tick from the first to the last fires once: one run and one task each, no gap, no duplicate.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { jsonClient, queryDatabase, uniqueNamespace, waitFor, type ProgramProcess } from '@latchkey/testing'
import { isLeader, runsOf, scheduleFile, schedulerTestEnv, spawnScheduler, testDatabase } from './helpers.ts'

const SCHEDULE = 'every-second'

async function leaderOf(replicas: ProgramProcess[]): Promise<ProgramProcess> {
  return waitFor(
    'one replica to lead',
    async () => {
      const leaders: ProgramProcess[] = []
      for (const replica of replicas) if ((await isLeader(replica.url)) === true) leaders.push(replica)
      return leaders.length === 1 ? leaders[0] : undefined
    },
    { timeoutMs: 20_000, intervalMs: 50 },
  )
}

t.test('three replicas, the leader SIGKILLed and the next one SIGTERMed: every tick fires exactly once', async (t) => {
  const env = {
    DATABASE_URL: await testDatabase(t),
    NATS_NAMESPACE: uniqueNamespace(t),
    SCHEDULES_FILE: scheduleFile([{ name: SCHEDULE, cron: '* * * * * *', queue: 'system', type: 'system.echo', payload: { from: 'schedule' } }]),
  }
  // One after the other: four programs starting at once on a busy 2-core machine can take longer
  // than their plugins' start timeout.
  await spawnScheduler(t, { ...env, TARGET: 'task-worker' })
  const replicas: ProgramProcess[] = []
  for (let i = 0; i < 3; i++) replicas.push(await spawnScheduler(t, env))
  const first = await leaderOf(replicas)
  await waitFor('a few ticks fired', async () => ((await runsOf(first.url, SCHEDULE)).length >= 3 ? true : undefined), { timeoutMs: 10_000 })

  first.child.kill('SIGKILL')
  t.equal(await first.exited, 'SIGKILL', 'the leader was killed')
  const killedAt = Date.now()
  const survivors = replicas.filter((r) => r !== first)
  const second = await leaderOf(survivors)
  t.comment(`new leader after SIGKILL in ${Date.now() - killedAt} ms`)
  await sleep(2_500)

  second.child.kill('SIGTERM')
  t.equal(await second.exited, 0, 'the SIGTERMed leader exits 0')
  const last = survivors.find((r) => r !== second)!
  t.equal(await leaderOf([last]), last, 'the last replica leads')
  await sleep(2_500)

  // Stop firing (a pause, through the last replica), then read the history from its API.
  const api = jsonClient(last.url)
  t.equal((await api.post(`/v1/schedules/${SCHEDULE}/pause`)).status, 200, 'paused')
  const pausedAt = Date.now()
  await sleep(1_500)
  const runs = await runsOf(last.url, SCHEDULE)
  last.child.kill('SIGTERM')
  t.equal(await last.exited, 0)

  t.ok(runs.length >= 10, `${runs.length} ticks fired over the run`)
  const ticks = runs.map((run) => Date.parse(run.tick))
  const [created] = await queryDatabase<{ created_at: Date }>(env.DATABASE_URL, 'SELECT created_at FROM schedules WHERE name = $1', [SCHEDULE])
  t.equal(ticks[0], Math.floor(created!.created_at.getTime() / 1_000) * 1_000 + 1_000, 'the first tick is the first second after the schedule was added')
  t.same(ticks.slice(1).filter((tick, i) => tick - ticks[i]! !== 1_000).map((tick) => new Date(tick).toISOString()), [], 'no tick missing up to the last: consecutive seconds')
  t.ok(ticks.at(-1)! >= pausedAt - 1_500, 'ticks fired until the pause')
  const rows = await queryDatabase<{ tick: Date; key: string | null }>(
    env.DATABASE_URL,
    `SELECT r.tick, t.idempotency_key AS key FROM schedule_runs r LEFT JOIN tasks t ON t.id = r.task_id WHERE r.schedule_name = $1 ORDER BY r.tick`,
    [SCHEDULE],
  )
  t.equal(rows.length, runs.length, 'the history holds every run')
  t.same(
    rows.filter((r) => r.key !== `schedule:${SCHEDULE}:${r.tick.toISOString()}`).map((r) => r.tick.toISOString()),
    [],
    "each run's task carries its tick's key",
  )
  const tasks = await queryDatabase<{ key: string; n: number }>(
    env.DATABASE_URL,
    `SELECT idempotency_key AS key, count(*)::int AS n FROM tasks WHERE type = 'system.echo' GROUP BY idempotency_key`,
  )
  t.equal(tasks.length, rows.length, 'one task per tick, and no task without its run')
  t.ok(tasks.every((task) => task.n === 1), 'no tick enqueued twice')

  const done = await waitFor(
    'every task to have run',
    async () => {
      const statuses = await queryDatabase<{ status: string; attempts: number; n: number }>(env.DATABASE_URL, `SELECT status, attempts, count(*)::int AS n FROM tasks GROUP BY status, attempts`)
      return statuses.length === 1 && statuses[0]!.status === 'succeeded' ? statuses[0] : undefined
    },
    { timeoutMs: 15_000, intervalMs: 100 },
  )
  t.match(done, { status: 'succeeded', attempts: 1, n: rows.length }, 'the worker ran each tick once')
})
