// npm run bench:scheduler [-- --quick] [-- --seconds 60] [-- --failovers 5]
//
// How late does a tick fire, and how long is a failover? One run, the product as shipped (metrics
// on, production lease settings unless told otherwise), every server a child process:
//   (1) three scheduler replicas (TARGET=scheduler) and one task worker share a database and a
//       NATS namespace; a schedules file holds --schedules schedules firing every second
//       (system.echo). For --seconds, the delay from each tick to its task being enqueued (the run's
//       firedAt, written once the task is stored in PostgreSQL and JetStream) is collected from the
//       run history: p50, p99, max.
//   (2) --failovers times: the leader is killed with SIGKILL; the time until another replica says
//       it leads (GET /v1/schedules polled every 20 ms on each) is the failover time, and the
//       ticks that fell in the gap fire late (their delays are reported apart). The killed replica
//       is started again before the next round. Then as many rounds with SIGTERM (a hand-over).
//   (3) at the end, with the replicas stopped, every schedule's history is checked: one run per second from the first to the
//       last tick (no gap, no duplicate) and one task per run.
// Prints markdown tables, writes JSON, exits 0 (it is a measurement).
import { randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pg from 'pg'
import { createTestDatabase, deleteNamespace } from '@latchkey/testing'
import { integerFlag, parseFlags } from './lib/cli.ts'
import { startLatchkey } from './lib/latchkey-process.ts'
import type { NodeProcess } from './lib/node-process.ts'
import { environment, writeResults } from './lib/results.ts'
import { quantile } from './lib/stats.ts'
import { count, markdownTable, ms } from './lib/table.ts'

const usage = `Usage: npm run bench:scheduler -- [options]

  --quick           short run: 20 s of steady ticks, 2 failovers of each kind
  --seconds N       steady-state seconds of (1) (default 60)
  --schedules N     schedules firing every second (default 10)
  --failovers N     SIGKILL rounds, and as many SIGTERM rounds (default 5)
  --lease D         SCHEDULER_LEASE (default 5s, the shipped default)
  --renew D         SCHEDULER_LEASE_RENEW (default 1s, the shipped default)
  --out PATH        JSON results (default bench/results/scheduler.json)
  --help`

const flags = parseFlags('bench:scheduler', usage, {
  quick: { type: 'boolean', default: false },
  seconds: { type: 'string' },
  schedules: { type: 'string' },
  failovers: { type: 'string' },
  lease: { type: 'string', default: '5s' },
  renew: { type: 'string', default: '1s' },
  out: { type: 'string', default: 'bench/results/scheduler.json' },
  help: { type: 'boolean', default: false },
})
const seconds = integerFlag('bench:scheduler', 'seconds', flags.seconds, flags.quick ? 20 : 60)
const scheduleCount = integerFlag('bench:scheduler', 'schedules', flags.schedules, 10)
const failovers = integerFlag('bench:scheduler', 'failovers', flags.failovers, flags.quick ? 2 : 5)

interface Run {
  schedule: string
  tick: number
  firedAt: number
  key: string | null
}

async function isLeader(replica: NodeProcess): Promise<boolean> {
  try {
    const response = await fetch(`${replica.url}/v1/schedules`, { signal: AbortSignal.timeout(1_000) })
    return response.ok && ((await response.json()) as { leader: boolean }).leader
  } catch {
    return false
  }
}

async function waitForLeader(replicas: NodeProcess[], timeoutMs = 30_000): Promise<NodeProcess> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const answers = await Promise.all(replicas.map(isLeader))
    const index = answers.indexOf(true)
    if (index >= 0) return replicas[index]!
    if (Date.now() > deadline) throw new Error('no replica became the leader')
    await sleep(20)
  }
}

async function main(): Promise<void> {
  const database = await createTestDatabase()
  const namespace = `lkbench_sched_${randomBytes(4).toString('hex')}`
  const file = join(mkdtempSync(join(tmpdir(), 'lk-bench-schedules-')), 'schedules.json')
  const names = Array.from({ length: scheduleCount }, (_, i) => `every-second-${i + 1}`)
  writeFileSync(file, JSON.stringify({ version: 1, schedules: names.map((name) => ({ name, cron: '* * * * * *', queue: 'system', type: 'system.echo' })) }))
  const env = { NATS_NAMESPACE: namespace, SCHEDULES_FILE: file, MIGRATE_ON_START: 'false', SCHEDULER_LEASE: flags.lease, SCHEDULER_LEASE_RENEW: flags.renew }
  let serial = 0
  const startReplica = () => startLatchkey({ name: `scheduler-${++serial}`, databaseUrl: database.url, env: { ...env, TARGET: 'scheduler' } })
  const processes: NodeProcess[] = []
  const db = new pg.Client({ connectionString: database.url })
  await db.connect()
  try {
    processes.push(await startLatchkey({ name: 'worker', databaseUrl: database.url, env: { ...env, TARGET: 'task-worker' } }))
    let replicas: NodeProcess[] = await Promise.all([startReplica(), startReplica(), startReplica()])
    processes.push(...replicas)
    await waitForLeader(replicas)

    // (1) Steady state.
    process.stderr.write(`(1) ${scheduleCount} schedules every second for ${seconds} s\n`)
    const steadyFrom = Date.now() + 1_000
    await sleep(seconds * 1_000 + 1_500)
    const steadyTo = Date.now() - 1_000

    // (2) Failovers.
    const rounds: { signal: 'SIGKILL' | 'SIGTERM'; failoverMs: number; at: number }[] = []
    for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
      for (let round = 0; round < failovers; round++) {
        const leader = await waitForLeader(replicas)
        // Mid-second, so that the gap holds ticks whatever the failover time.
        await sleep(1_000 - (Date.now() % 1_000) + 500)
        const at = Date.now()
        leader.child.kill(signal)
        const others = replicas.filter((r) => r !== leader)
        const next = await waitForLeader(others)
        rounds.push({ signal, failoverMs: Date.now() - at, at })
        process.stderr.write(`(2) ${signal}: ${next.name} leads after ${Date.now() - at} ms\n`)
        await leader.exited
        const replacement = await startReplica()
        processes.push(replacement)
        replicas = [...others, replacement]
        await sleep(3_000)
      }
    }
    await sleep(2_000)

    // (3) The histories, once nothing fires any more (SIGTERM: each finishes its pass in flight).
    await Promise.all(replicas.map((replica) => replica.stop(10_000)))
    const { rows } = await db.query<{ schedule_name: string; tick: Date; fired_at: Date; key: string | null }>(
      `SELECT r.schedule_name, r.tick, r.fired_at, t.idempotency_key AS key FROM schedule_runs r LEFT JOIN tasks t ON t.id = r.task_id ORDER BY r.schedule_name, r.tick`,
    )
    const runs: Run[] = rows.map((r) => ({ schedule: r.schedule_name, tick: r.tick.getTime(), firedAt: r.fired_at.getTime(), key: r.key }))
    const delays = (filter: (run: Run) => boolean) => Float64Array.from(runs.filter(filter).map((r) => r.firedAt - r.tick)).sort()
    const steady = delays((r) => r.tick >= steadyFrom && r.tick <= steadyTo)
    const gapTicks = (signal: string) =>
      delays((r) => rounds.some((round) => round.signal === signal && r.tick > round.at - 1_000 && r.tick <= round.at + round.failoverMs))
    let gaps = 0
    let foreign = 0
    for (const name of names) {
      const ticks = runs.filter((r) => r.schedule === name).map((r) => r.tick)
      gaps += ticks.slice(1).filter((tick, i) => tick - ticks[i]! !== 1_000).length
    }
    foreign = runs.filter((r) => r.key === null || !r.key.endsWith(new Date(r.tick).toISOString())).length
    const { rows: taskRows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE idempotency_key LIKE 'schedule:%'`)

    const summarize = (values: Float64Array) => [count(values.length), ms(quantile(values, 0.5)), ms(quantile(values, 0.99)), ms(values.at(-1))]
    const failoverOf = (signal: string) => Float64Array.from(rounds.filter((r) => r.signal === signal).map((r) => r.failoverMs)).sort()
    console.log(`\n### Scheduler (${scheduleCount} schedules every second, 3 replicas, lease ${flags.lease} renewed every ${flags.renew})\n`)
    console.log(
      markdownTable(
        ['ticks', 'fired', 'tick → enqueued p50', 'p99', 'max'],
        [
          ['steady state', ...summarize(steady)],
          ['in a SIGKILL failover (fired late by the next leader)', ...summarize(gapTicks('SIGKILL'))],
          ['in a SIGTERM hand-over', ...summarize(gapTicks('SIGTERM'))],
        ],
        ['l', 'r', 'r', 'r', 'r'],
      ),
    )
    console.log('')
    console.log(
      markdownTable(
        ['leader stopped by', 'rounds', 'failover p50', 'max'],
        (['SIGKILL', 'SIGTERM'] as const).map((signal) => {
          const values = failoverOf(signal)
          return [signal, count(values.length), ms(quantile(values, 0.5)), ms(values.at(-1))]
        }),
        ['l', 'r', 'r', 'r'],
      ),
    )
    const p99 = quantile(steady, 0.99)
    console.log(`\n- target p99 tick → enqueued < 1 s: ${p99 < 1_000 ? 'PASS' : 'MISS'} (${ms(p99)})`)
    console.log(`- exactly once: ${runs.length} runs, ${taskRows[0]!.n} scheduled tasks, ${gaps} gaps, ${foreign} runs without their tick's task: ${gaps === 0 && foreign === 0 && taskRows[0]!.n === runs.length ? 'PASS' : 'MISS'}`)
    const out = writeResults(flags.out, {
      environment: environment(),
      options: { seconds, schedules: scheduleCount, failovers, lease: flags.lease, renew: flags.renew },
      steadyDelaysMs: Array.from(steady),
      rounds,
      gapDelaysMs: { SIGKILL: Array.from(gapTicks('SIGKILL')), SIGTERM: Array.from(gapTicks('SIGTERM')) },
      runs: runs.length,
      tasks: taskRows[0]!.n,
      gaps,
      foreign,
    })
    console.log(`\nraw figures: ${out}`)
  } finally {
    await db.end()
    await Promise.all(processes.map((p) => p.stop(5_000)))
    await deleteNamespace(namespace)
    await database.drop()
  }
}

await main()
