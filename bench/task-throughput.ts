// npm run bench:tasks [-- --tasks 20000] [-- --concurrency 64] [-- --latency-tasks 400 --rate 50] [-- --rounds 3] [-- --quick] [-- --cpu-prof]
//
// The task worker against BullMQ, in one run, on this machine's NATS, PostgreSQL and Redis:
//   (1) end-to-end no-op throughput: enqueue N system.echo tasks (bulk, 1,000 at a time) and time
//       until every one has succeeded (its status readable as such: PostgreSQL for Latchkey,
//       BullMQ's completed set for BullMQ; the end is the last one's own timestamp there, the
//       status batch's `updated_at` or the job's `finishedOn`), with 1 and with 2 worker processes;
//   (2) enqueue-to-start latency at a low rate (one task at a time, --rate per second): the time
//       from the enqueue call to the start of the task (Latchkey: created_at → started_at of the
//       task; BullMQ: job.timestamp → job.processedOn; both clocks are this machine's, in ms).
// Workers run in child processes with equal concurrency (--concurrency, per process) and the same
// Node options (the task worker's in the Helm chart's default values); the
// enqueuer is this process: Latchkey's typed client (@latchkey/tasks-client, no HTTP) and BullMQ's
// Queue. Each configuration runs --rounds times, the systems alternating, so that whatever else
// the machine does falls on both: the table shows the median throughput, latency percentiles over
// all rounds' samples, and the CPU time the workers and the servers spent per 1,000 tasks (which
// other load on the machine does not change much). Prints a markdown table, writes JSON, exits 0.
import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'
import { subjects } from '@latchkey/events'
import { createTasksClient, type EnqueueInput, type TasksClient } from '@latchkey/tasks-client'
import { createTestDatabase } from '@latchkey/testing'
import { Queue } from 'bullmq'
import { parse as parseYaml } from 'yaml'
import pg from 'pg'
import { freePort } from './lib/free-port.ts'
import { startLatchkey } from './lib/latchkey-process.ts'
import { repoRoot, startNodeProcess, type NodeProcess } from './lib/node-process.ts'
import { watchCpu } from './lib/cpu-time.ts'
import { formatProfile, mainThreadProfile, summarizeProfile } from './lib/cpu-profile.ts'
import { environment, writeResults } from './lib/results.ts'
import { quantile } from './lib/stats.ts'
import { count, markdownTable, ms } from './lib/table.ts'

const { values: flags } = parseArgs({
  options: {
    tasks: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '64' },
    'latency-tasks': { type: 'string', default: '400' },
    rate: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    'skip-bullmq': { type: 'boolean', default: false },
    // CPU profiles of each run's first worker process, summarized over its measured run.
    'cpu-prof': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/task-throughput.json' },
  },
})
const tasks = flags.quick ? 5_000 : Number(flags.tasks)
const concurrency = Number(flags.concurrency)
const latencyTasks = flags.quick ? 100 : Number(flags['latency-tasks'])
const rate = Number(flags.rate)
const rounds = flags.quick ? 1 : Number(flags.rounds)
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const profileRoot = flags['cpu-prof'] ? join(repoRoot, 'bench/results/profiles', `tasks-${new Date().toISOString().replace(/[:.]/g, '-')}`) : undefined
// The task worker as shipped: with the environment the Helm chart gives its Deployment by default.
const chartValues = parseYaml(readFileSync(join(repoRoot, 'charts/latchkey/values.yaml'), 'utf8')) as { targets: Record<string, { env?: Record<string, unknown> }> }
const shippedWorkerEnv = Object.fromEntries(Object.entries(chartValues.targets['task-worker']?.env ?? {}).map(([key, value]) => [key, String(value)]))
const bulkSize = 1_000
const bulksInFlight = 4

interface RunResult {
  system: 'latchkey' | 'bullmq'
  workers: number
  concurrency: number
  tasks: number
  seconds: number
  /** Of those, until the last enqueue call answered (the rest is the workers catching up). */
  enqueueSeconds: number
  perSecond: number
  latency: { samples: number; p50: number; p90: number; p99: number; max: number }
  latencies: number[]
  /** CPU seconds per 1,000 tasks during the throughput run, by party. */
  cpuPer1000: { workers: number; server: number; enqueuer: number; machine: number }
}

/** Watches the CPU of the workers, the queue's servers, this process and the whole machine. */
function cpuWatch(workerPids: number[], servers: string[]) {
  const parties: Record<string, number | 'self' | 'machine' | `cmd:${string}`> = { self: 'self', machine: 'machine' }
  workerPids.forEach((pid, i) => (parties[`w${i}`] = pid))
  servers.forEach((name) => (parties[name] = `cmd:${name}`))
  const started = performance.now()
  const watch = watchCpu(parties)
  return () => {
    const seconds = (performance.now() - started) / 1000
    const shares = watch.stop()
    const sum = (names: string[]) => names.reduce((total, name) => total + (shares[name] ?? 0), 0) * seconds
    const per1000 = (value: number) => (value / tasks) * 1000
    return {
      workers: per1000(sum(workerPids.map((_, i) => `w${i}`))),
      server: per1000(sum(servers)),
      enqueuer: per1000(sum(['self'])),
      machine: per1000(sum(['machine'])),
    }
  }
}

/** With --cpu-prof, the directory for the CPU profile of a run's first worker process. */
let runNumber = 0
function profileDirFor(system: string): string | undefined {
  if (!profileRoot) return undefined
  const dir = join(profileRoot, `${system}-${++runNumber}`)
  mkdirSync(dir, { recursive: true })
  return dir
}

/** Prints where the first worker's CPU went during the measured run (it stopped at `exitedAt`). */
function reportProfile(dir: string | undefined, title: string, window: { start: number; end: number }, exitedAt: number): void {
  const path = dir ? mainThreadProfile(dir) : undefined
  if (!path) return
  const summary = summarizeProfile(path, 20, { fromEndMs: exitedAt - window.start, toEndMs: exitedAt - window.end })
  console.error(`${formatProfile(summary, `${title}, first worker process, measured run`)}\n`)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 300_000): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}

/** Sends `total` items in chunks of `bulkSize`, `bulksInFlight` chunks at a time. */
async function inChunks(total: number, send: (size: number) => Promise<unknown>): Promise<void> {
  let sent = 0
  const lanes = Array.from({ length: bulksInFlight }, async () => {
    while (sent < total) {
      const size = Math.min(bulkSize, total - sent)
      sent += size
      await send(size)
    }
  })
  await Promise.all(lanes)
}

/** One task at a time at `rate` per second (paced on a schedule, not after each answer). */
async function paced(total: number, send: (i: number) => Promise<unknown>): Promise<void> {
  const start = performance.now()
  const pending: Promise<unknown>[] = []
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    pending.push(send(i))
  }
  await Promise.all(pending)
}

/**
 * Tasks of the latency run that started over 100 ms after their enqueue, told by when they were
 * enqueued and when they started (ms from the run's first enqueue): starts bunched at one instant
 * point at a delivery that was held back, starts spread out at a slow worker.
 */
function reportLateStarts(rows: { ms: number; created: number }[]): void {
  const late = rows.filter((r) => r.ms > 100)
  if (late.length === 0) return
  const first = rows[0]!.created
  const starts = [...new Set(late.map((r) => Math.round(r.created + r.ms - first)))]
  console.error(
    `  ${late.length} of ${rows.length} tasks started over 100 ms late: enqueued from +${Math.round(late[0]!.created - first)} to +${Math.round(late.at(-1)!.created - first)} ms, ` +
      `started at ${starts.length} instant(s): ${starts.slice(0, 8).map((t) => `+${t}`).join(', ')}${starts.length > 8 ? ', …' : ''} ms`,
  )
}

const summarize = (latencies: number[]) => {
  const sorted = Float64Array.from(latencies).sort()
  return { samples: sorted.length, p50: quantile(sorted, 0.5), p90: quantile(sorted, 0.9), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1] ?? Number.NaN }
}

// ---------------------------------------------------------------------------------------------
// Latchkey
// ---------------------------------------------------------------------------------------------

async function runLatchkey(workers: number): Promise<RunResult> {
  const database = await createTestDatabase()
  const namespace = `lkbench_${randomBytes(4).toString('hex')}`
  const connection = await connect({ servers: natsUrl })
  const db = new pg.Client({ connectionString: database.url })
  await db.connect()
  const processes: NodeProcess[] = []
  const profileDir = profileDirFor('latchkey')
  let window: { start: number; end: number } | undefined
  let client: TasksClient | undefined
  try {
    for (let i = 0; i < workers; i++) {
      processes.push(
        await startLatchkey({
          name: `task-worker-${i + 1}`,
          databaseUrl: database.url,
          ...(i === 0 && profileDir ? { cpuProfileDir: profileDir } : {}),
          env: { ...shippedWorkerEnv, TARGET: 'task-worker', NATS_NAMESPACE: namespace, TASK_QUEUES: 'system', TASK_CONCURRENCY_SYSTEM: String(concurrency), MIGRATE_ON_START: 'false' },
        }),
      )
    }
    client = createTasksClient({ connection, databaseUrl: database.url, namespace })
    const succeeded = async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE status = 'succeeded'`)).rows[0]!.n
    const echo: EnqueueInput = { queue: 'system', type: 'system.echo', payload: { n: 1 } }

    // Warm-up (JIT, connections, consumers), not measured.
    await inChunks(1_000, (size) => client!.enqueueBulk(Array.from({ length: size }, () => echo)))
    await waitUntil('the warm-up', async () => (await succeeded()) >= 1_000)

    const before = await succeeded()
    const started = performance.now()
    const startedAtMs = Date.now()
    const cpu = cpuWatch(processes.map((p) => p.pid), ['nats-server', 'postgres'])
    await inChunks(tasks, (size) => client!.enqueueBulk(Array.from({ length: size }, () => echo)))
    const enqueueSeconds = (performance.now() - started) / 1000
    await waitUntil('every task to succeed', async () => (await succeeded()) >= before + tasks)
    window = { start: started, end: performance.now() }
    // The end is when the last status became readable as succeeded (its batch's time), not when
    // the 100 ms poll noticed: a poll's delay would be up to a tenth of a 1-second run.
    const { rows: last } = await db.query<{ ms: number }>(`SELECT (extract(epoch FROM max(updated_at)) * 1000)::float8 AS ms FROM tasks WHERE status = 'succeeded'`)
    const seconds = (last[0]!.ms - startedAtMs) / 1000
    const cpuPer1000 = cpu()

    await sleep(500)
    const ids: string[] = []
    await paced(latencyTasks, async () => ids.push((await client!.enqueue(echo)).id))
    await waitUntil('the latency tasks', async () => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE id = ANY($1::uuid[]) AND status = 'succeeded'`, [ids])).rows[0]!.n === ids.length)
    const { rows } = await db.query<{ ms: number; created: number }>(
      `SELECT (extract(epoch FROM (attempt_log -> '1' ->> 'startedAt')::timestamptz - created_at) * 1000)::float8 AS ms,
              (extract(epoch FROM created_at) * 1000)::float8 AS created
       FROM tasks WHERE id = ANY($1::uuid[]) ORDER BY created_at`,
      [ids],
    )
    const latencies = rows.map((r) => r.ms)
    reportLateStarts(rows)
    return { system: 'latchkey', workers, concurrency, tasks, seconds, enqueueSeconds, perSecond: tasks / seconds, latency: summarize(latencies), latencies, cpuPer1000 }
  } finally {
    await client?.close()
    await Promise.all(processes.map((p) => p.stop()))
    if (window && profileDir) reportProfile(join(profileDir, 'task-worker-1'), `Latchkey, ${workers} worker process(es)`, window, performance.now())
    await db.end()
    const manager = await jetstreamManager(connection)
    const names = subjects(namespace)
    for (const stream of [names.taskStream, `KV_${names.taskCancellations}`]) await manager.streams.delete(stream).catch(() => {})
    await connection.close()
    await database.drop()
  }
}

// ---------------------------------------------------------------------------------------------
// BullMQ
// ---------------------------------------------------------------------------------------------

async function runBullmq(workers: number): Promise<RunResult> {
  const name = `bench-${randomBytes(4).toString('hex')}`
  const prefix = 'lkbench-bull'
  const url = new URL(redisUrl)
  const connection = { host: url.hostname, port: Number(url.port || 6379) }
  const queue = new Queue(name, { connection, prefix })
  const processes: NodeProcess[] = []
  const profileDir = profileDirFor('bullmq')
  let window: { start: number; end: number } | undefined
  try {
    for (let i = 0; i < workers; i++) {
      const port = await freePort()
      processes.push(
        await startNodeProcess({
          name: `bullmq-worker-${i + 1}`,
          entry: 'bench/lib/bullmq-worker.ts',
          port,
          nodeArgs: i === 0 && profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [],
          // The same Node options as Latchkey's worker, so that the runtime's tuning is no difference.
          env: { ...(shippedWorkerEnv.NODE_OPTIONS ? { NODE_OPTIONS: shippedWorkerEnv.NODE_OPTIONS } : {}), QUEUE: name, CONCURRENCY: String(concurrency), REDIS_URL: redisUrl, PREFIX: prefix, PORT: String(port) },
        }),
      )
    }
    const completed = async () => (await queue.getJobCounts('completed')).completed ?? 0
    const data = { n: 1 }
    await inChunks(1_000, (size) => queue.addBulk(Array.from({ length: size }, () => ({ name: 'system.echo', data }))))
    await waitUntil('the warm-up', async () => (await completed()) >= 1_000)

    const before = await completed()
    const started = performance.now()
    const startedAtMs = Date.now()
    const cpu = cpuWatch(processes.map((p) => p.pid), ['redis-server'])
    await inChunks(tasks, (size) => queue.addBulk(Array.from({ length: size }, () => ({ name: 'system.echo', data }))))
    const enqueueSeconds = (performance.now() - started) / 1000
    await waitUntil('every job to complete', async () => (await completed()) >= before + tasks)
    window = { start: started, end: performance.now() }
    // The end is when the last job became completed: BullMQ scores its completed set by finishedOn.
    const [, lastFinishedOn] = await (await queue.client).zrevrange(queue.keys.completed!, 0, 0, { WITHSCORES: true })
    const seconds = (Number(lastFinishedOn) - startedAtMs) / 1000
    const cpuPer1000 = cpu()

    await sleep(500)
    const ids: string[] = []
    await paced(latencyTasks, async () => ids.push((await queue.add('system.echo', data)).id!))
    await waitUntil('the latency jobs', async () => (await completed()) >= before + tasks + latencyTasks)
    const latencies: number[] = []
    for (const id of ids) {
      const job = await queue.getJob(id)
      if (job?.processedOn) latencies.push(job.processedOn - job.timestamp)
    }
    return { system: 'bullmq', workers, concurrency, tasks, seconds, enqueueSeconds, perSecond: tasks / seconds, latency: summarize(latencies), latencies, cpuPer1000 }
  } finally {
    await Promise.all(processes.map((p) => p.stop()))
    if (window) reportProfile(profileDir, `BullMQ, ${workers} worker process(es)`, window, performance.now())
    await queue.obliterate({ force: true }).catch(() => {})
    await queue.close()
  }
}

// ---------------------------------------------------------------------------------------------

const results: RunResult[] = []
for (let round = 1; round <= rounds; round++) {
  for (const workers of [1, 2]) {
    // Alternate which system goes first, so that a drift in the machine's other load is shared.
    const order: ('latchkey' | 'bullmq')[] = flags['skip-bullmq'] ? ['latchkey'] : round % 2 === 1 ? ['latchkey', 'bullmq'] : ['bullmq', 'latchkey']
    for (const system of order) {
      console.error(`round ${round}/${rounds}: ${system}, ${workers} worker process(es)...`)
      const result = system === 'latchkey' ? await runLatchkey(workers) : await runBullmq(workers)
      console.error(`  ${count(result.perSecond)} tasks/s (all enqueued after ${ms(result.enqueueSeconds * 1000)}), p99 ${ms(result.latency.p99)}`)
      results.push(result)
    }
  }
}

const middle = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor((sorted.length - 1) / 2)]!
}
const groups = [...new Set(results.map((r) => `${r.system}:${r.workers}`))].map((key) => results.filter((r) => `${r.system}:${r.workers}` === key))
const rows = groups.map((group) => {
  const first = group[0]!
  const latency = summarize(group.flatMap((r) => r.latencies))
  const cpu = (field: keyof RunResult['cpuPer1000']) => middle(group.map((r) => r.cpuPer1000[field]))
  return {
    system: first.system,
    workers: first.workers,
    perSecond: middle(group.map((r) => r.perSecond)),
    range: [Math.min(...group.map((r) => r.perSecond)), Math.max(...group.map((r) => r.perSecond))],
    latency,
    cpu: { workers: cpu('workers'), server: cpu('server'), enqueuer: cpu('enqueuer'), machine: cpu('machine') },
  }
})
const table = markdownTable(
  ['queue', 'worker processes', `throughput, ${count(tasks)} no-op tasks (median of ${rounds})`, 'range', `enqueue→start p50 (${rate}/s)`, 'p90', 'p99', 'max', 'CPU s / 1,000 tasks: workers', 'server', 'enqueuer', 'whole machine'],
  rows.map((r) => [
    r.system === 'latchkey' ? 'Latchkey (JetStream + PostgreSQL status)' : 'BullMQ (Redis)',
    r.workers,
    `${count(r.perSecond)} tasks/s`,
    `${count(r.range[0])}–${count(r.range[1])}`,
    ms(r.latency.p50),
    ms(r.latency.p90),
    ms(r.latency.p99),
    ms(r.latency.max),
    r.cpu.workers.toFixed(3),
    r.cpu.server.toFixed(3),
    r.cpu.enqueuer.toFixed(3),
    r.cpu.machine.toFixed(3),
  ]),
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
)
console.log(`concurrency ${concurrency} per worker process; latency over ${rounds} × ${latencyTasks} tasks per row; server = nats-server + postgres (Latchkey) or redis-server (BullMQ)`)
console.log(table)
const file = writeResults(flags.out!, {
  environment: environment(),
  options: { tasks, concurrency, latencyTasks, rate, rounds },
  summary: rows,
  runs: results.map(({ latencies: _, ...rest }) => rest),
})
console.error(`results written to ${file}`)
process.exit(0)
