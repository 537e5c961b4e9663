// npm run bench [-- --quick] [-- --cpu-prof] [-- --out bench/results/latest.json]
//
// How fast is a permission check, and against what? One run on loopback:
//   (1) a bare Fastify route answering a constant (child process): the ceiling of this HTTP stack;
//   (2) POST /v1/check on the real program, warm caches, seeded with the generator;
//   (3) POST /v1/check on a second instance with both cache levels off (one SQL statement a check);
//   (4) an L1 hit in process: TieredCache.get (awaited) and the bare MemoryTier.read;
//   (5) 1,000 checks in one POST /v1/check/bulk against the same 1,000 as single requests.
// Load comes from autocannon in this process; every server runs in a child process. Metrics stay
// on (the product as shipped). Prints markdown tables, writes JSON, exits 0 (it is a measurement).
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createTestDatabase, removeRedisKeys } from '@latchkey/testing'
import { applyPlan, createJsonClient } from '../scripts/seed/apply.ts'
import { buildPlan, orgSizes, pickChecks, type PlannedCheck } from '../scripts/seed/plan.ts'
import { startBareFastify } from './lib/bare-fastify.ts'
import { formatProfile, mainThreadProfile, summarizeProfile, type ProfileSummary } from './lib/cpu-profile.ts'
import { waitForIdle, watchCpu, type CpuShares } from './lib/cpu-time.ts'
import { measureL1Hit, type L1HitResult } from './lib/l1-hit.ts'
import { postgresBackends } from './lib/postgres-backends.ts'
import { startLatchkey } from './lib/latchkey-process.ts'
import { runLoad, type LoadResult } from './lib/load.ts'
import type { NodeProcess } from './lib/node-process.ts'
import { repoRoot } from './lib/node-process.ts'
import { scrape, sum } from './lib/prometheus.ts'
import { median } from './lib/stats.ts'
import { count, markdownTable, ms, ns, percent, ratio } from './lib/table.ts'
import { environment, writeResults } from './lib/results.ts'
import { integerFlag, parseFlags } from './lib/cli.ts'

const usage = `Usage: npm run bench -- [options]

  --quick              short run: 3 s loads, 1 s warm-ups, 2,000 users, fewer iterations
  --duration S         seconds per measured load (default 10; quick 3)
  --warmup S           seconds of warm-up load before each (default 3; quick 1)
  --connections N      autocannon connections (default 64)
  --pipelining N       autocannon pipelining (default 1)
  --orgs N --roles N --permissions N --users N --seed N
                       seed sizes (default 50, 200, 500, 10000; seed 42)
  --distinct N         distinct check requests the load cycles through (default 2000)
  --iterations N       L1 get iterations (default 5,000,000; reads 4×)
  --target T           TARGET of the Latchkey processes (default permission)
  --cpu-prof           write CPU profiles of the servers (--cpu-prof) and summarize them
  --out PATH           JSON results (default bench/results/latest.json)
  --keep               keep the database (its URL is printed)
  --help`

const flags = parseFlags('bench', usage, {
  quick: { type: 'boolean', default: false },
  duration: { type: 'string' },
  warmup: { type: 'string' },
  connections: { type: 'string' },
  pipelining: { type: 'string' },
  orgs: { type: 'string' },
  roles: { type: 'string' },
  permissions: { type: 'string' },
  users: { type: 'string' },
  seed: { type: 'string' },
  distinct: { type: 'string' },
  iterations: { type: 'string' },
  target: { type: 'string', default: 'permission' },
  'cpu-prof': { type: 'boolean', default: false },
  out: { type: 'string', default: 'bench/results/latest.json' },
  keep: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
})

const integer = (name: string, value: string | undefined, fallback: number, min = 1): number => integerFlag('bench', name, value, fallback, min)

const quick = flags.quick
const config = {
  durationSec: integer('duration', flags.duration, quick ? 3 : 10),
  warmupSec: integer('warmup', flags.warmup, quick ? 1 : 3, 0),
  connections: integer('connections', flags.connections, 64),
  pipelining: integer('pipelining', flags.pipelining, 1),
  sizes: {
    orgs: integer('orgs', flags.orgs, 50),
    roles: integer('roles', flags.roles, 200),
    permissions: integer('permissions', flags.permissions, 500),
    users: integer('users', flags.users, quick ? 2_000 : 10_000),
  },
  seed: integer('seed', flags.seed, 42, 0),
  distinct: integer('distinct', flags.distinct, 2_000),
  getIterations: integer('iterations', flags.iterations, quick ? 1_000_000 : 5_000_000),
  bulkSize: 1_000,
  bulkRepeats: quick ? 5 : 20,
  singlesRepeats: quick ? 1 : 3,
  target: flags.target,
  cpuProfile: flags['cpu-prof'],
  out: flags.out,
}

const log = (message: string) => process.stderr.write(`${message}\n`)
const bodyOf = (c: { org: string; user: string; permission: string }) => JSON.stringify({ org: c.org, user: c.user, permission: c.permission })

interface Measured {
  load: LoadResult
  /** performance.now() in this process when the measured load started and ended. */
  window: { start: number; end: number }
  cpu: CpuShares
  warmup?: LoadResult
  l1HitRatio?: number
}

/** A warm-up load (not reported), quiet, then the measured load, watching the CPU of everyone. */
async function measured(server: NodeProcess, bodies: string[], label: string, databaseUrl?: string): Promise<Measured> {
  const common = { url: server.url, path: '/v1/check', bodies, connections: config.connections, pipelining: config.pipelining }
  const warmup = config.warmupSec > 0 ? await runLoad({ ...common, durationSec: config.warmupSec }) : undefined
  await waitForIdle([server.pid], { timeoutMs: 30_000, threshold: idleThreshold })
  const before = await scrape(server.url).catch(() => undefined)
  log(`  ${label}: ${config.durationSec} s, ${config.connections} connections`)
  // PostgreSQL: the backends of this benchmark's database when known (after the warm-up its pool is open).
  const backends = databaseUrl ? await postgresBackends(databaseUrl).catch(() => undefined) : undefined
  const cpu = watchCpu({ server: server.pid, loadgen: 'self', postgres: backends ?? 'cmd:postgres', machine: 'machine' })
  const windowStart = performance.now()
  const load = await runLoad({ ...common, durationSec: config.durationSec })
  const window = { start: windowStart, end: performance.now() }
  const shares = cpu.stop()
  // Whatever else used the machine meanwhile (other processes, hypervisor steal): noise.
  if (shares.machine !== undefined) shares.others = Math.max(0, shares.machine - (shares.server ?? 0) - (shares.loadgen ?? 0) - (shares.postgres ?? 0))
  const after = await scrape(server.url).catch(() => undefined)
  let l1HitRatio: number | undefined
  if (before && after) {
    const l1 = (result: string) => (sum(after, /cache_requests/, { cache_level: 'l1', cache_result: result }) ?? 0) - (sum(before, /cache_requests/, { cache_level: 'l1', cache_result: result }) ?? 0)
    const total = l1('hit') + l1('miss')
    l1HitRatio = total > 0 ? l1('hit') / total : undefined
  }
  log(`    ${count(load.rps)} req/s, p50 ${ms(load.latency.p50)}, p99 ${ms(load.latency.p99)}${load.non2xx + load.errors > 0 ? `, ${load.non2xx} non-2xx, ${load.errors} errors` : ''}`)
  return { load, window, cpu: shares, ...(warmup ? { warmup } : {}), ...(l1HitRatio !== undefined ? { l1HitRatio } : {}) }
}

/**
 * Sends every check through /v1/check/bulk (which fills the caches) and compares with the plan.
 * In batches of 100: a cold bulk request of 1,000 checks on ~900 different users starts ~900
 * loads at once, and the ones that wait more than 3 s for one of the 10 pooled connections fail
 * the whole request with a 503 (see the report).
 */
const warmBatch = 100

async function verifyAndWarm(url: string, checks: PlannedCheck[]): Promise<{ checks: number; allowed: number; mismatches: number }> {
  const client = createJsonClient(url, { connections: 4 })
  let allowed = 0
  let mismatches = 0
  try {
    for (let i = 0; i < checks.length; i += warmBatch) {
      const batch = checks.slice(i, i + warmBatch)
      const res = await client.request('POST', '/v1/check/bulk', { checks: batch.map((c) => ({ org: c.org, user: c.user, permission: c.permission })) })
      if (res.status !== 200) throw new Error(`POST /v1/check/bulk answered ${res.status}: ${JSON.stringify(res.body)}`)
      const results = (res.body as { results: { allowed: boolean }[] }).results
      results.forEach((r, k) => {
        if (r.allowed) allowed++
        if (r.allowed !== batch[k]!.expected) mismatches++
      })
    }
  } finally {
    client.close()
  }
  return { checks: checks.length, allowed, mismatches }
}

interface BulkResult {
  size: number
  /** Median time of one bulk request of `size` checks (sequential requests). */
  bulkMs: number
  bulkP99Ms: number
  /** The same checks as single requests, one after another on one connection: total time. */
  singlesSequentialMs: number
  /** The same checks as single requests, `connections` in flight: total time. */
  singlesConcurrentMs: number
  ratioSequential: number
  ratioConcurrent: number
  /** Bulk answers that differ from the single answers (must be 0). */
  disagreements: number
}

async function bulkVersusSingles(server: NodeProcess, checks: PlannedCheck[]): Promise<BulkResult> {
  const batch = checks.slice(0, config.bulkSize)
  const bulkBody = JSON.stringify({ checks: batch.map((c) => ({ org: c.org, user: c.user, permission: c.permission })) })
  const singleBodies = batch.map(bodyOf)
  // Correctness first: the bulk answers must be the single answers.
  const client = createJsonClient(server.url, { connections: 8 })
  let disagreements = 0
  try {
    const bulk = await client.request('POST', '/v1/check/bulk', JSON.parse(bulkBody))
    const singles = await Promise.all(batch.map((c) => client.request('POST', '/v1/check', { org: c.org, user: c.user, permission: c.permission })))
    singles.forEach((s, i) => {
      if ((s.body as { allowed: boolean }).allowed !== (bulk.body as { results: { allowed: boolean }[] }).results[i]!.allowed) disagreements++
    })
  } finally {
    client.close()
  }
  const bulkRun = (amount: number) => runLoad({ url: server.url, path: '/v1/check/bulk', bodies: [bulkBody], connections: 1, amount })
  const singlesRun = (connections: number) => runLoad({ url: server.url, path: '/v1/check', bodies: singleBodies, connections, amount: singleBodies.length })
  await bulkRun(Math.max(3, Math.floor(config.bulkRepeats / 4)))
  await singlesRun(1)
  await waitForIdle([server.pid], { timeoutMs: 30_000, threshold: idleThreshold })
  const bulk = await bulkRun(config.bulkRepeats)
  const sequential: number[] = []
  const concurrent: number[] = []
  for (let r = 0; r < config.singlesRepeats; r++) {
    sequential.push((await singlesRun(1)).seconds * 1000)
    concurrent.push((await singlesRun(config.connections)).seconds * 1000)
  }
  const bulkMs = bulk.latency.p50
  return {
    size: batch.length,
    bulkMs,
    bulkP99Ms: bulk.latency.p99,
    singlesSequentialMs: median(sequential),
    singlesConcurrentMs: median(concurrent),
    ratioSequential: median(sequential) / bulkMs,
    ratioConcurrent: median(concurrent) / bulkMs,
    disagreements,
  }
}

// ---------------------------------------------------------------------------------------------

const started = performance.now()
const env = environment()
log(`permission-check benchmark: node ${env.node}, ${env.cpus} CPUs, load average ${(env.loadAverage as number[]).map((x) => x.toFixed(2)).join(' ')}`)
const profileDir = config.cpuProfile ? join(repoRoot, 'bench/results/profiles', new Date().toISOString().replace(/[:.]/g, '-')) : undefined
if (profileDir) mkdirSync(profileDir, { recursive: true })
// A quiet process: under 5% of a core (20% while profiling: the sampler itself costs that much here).
const idleThreshold = profileDir ? 0.2 : 0.05

const children: NodeProcess[] = []
/** When each child exited (performance.now()): its profile ends then. */
const exitedAt = new Map<string, number>()
const redisPrefixes: string[] = []
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined
const results: Record<string, unknown> = { environment: env, config }
let bare: Measured | undefined
let cached: Measured | undefined
let uncached: Measured | undefined
let l1: L1HitResult | undefined
let bulk: BulkResult | undefined
const profiles: Record<string, ProfileSummary> = {}
let failure: unknown

try {
  // (4) first, while the machine is quiet.
  log(`(4) L1 hit in process: ${count(config.getIterations)} gets, ${count(config.getIterations * 4)} reads`)
  l1 = await measureL1Hit({ getIterations: config.getIterations, readIterations: config.getIterations * 4 })
  log(`    get ${ns(l1.get.nsPerOp)}, read ${ns(l1.read.nsPerOp)}${l1.misses > 0 ? ` (${l1.misses} misses!)` : ''}`)

  // The seed plan and the checks, drawn from it: the same bodies for (1), (2) and (3).
  const plan = buildPlan({ ...config.sizes, seed: config.seed })
  const checks = pickChecks(plan, { count: Math.max(config.distinct, config.bulkSize) })
  const bodies = checks.slice(0, config.distinct).map(bodyOf)
  const largest = orgSizes(plan)[0]

  // (1) The baseline.
  log('(1) bare Fastify')
  const baseline = await startBareFastify(profileDir ? { cpuProfileDir: profileDir } : {})
  children.push(baseline)
  bare = await measured(baseline, bodies, 'POST /v1/check, constant answer')
  await baseline.stop()
  exitedAt.set(baseline.name, performance.now())

  // Seeding goes through an instance of its own, so that the measured instances start fresh.
  database = await createTestDatabase()
  const natsNamespace = `lkbench${Math.random().toString(36).slice(2, 8)}`
  const shared = { TARGET: config.target, NATS_NAMESPACE: natsNamespace }
  log(`seeding ${plan.permissions.length} permissions, ${plan.orgs.length} orgs, ${plan.roles.length} roles, ${plan.users.length} users, ${plan.memberships.length} memberships`)
  const seeder = await startLatchkey({ name: 'latchkey-seeder', databaseUrl: database.url, env: shared })
  children.push(seeder)
  redisPrefixes.push(seeder.redisPrefix)
  const seedSummary = await applyPlan(plan, {
    url: seeder.url,
    onProgress: ({ phase, done, total, elapsedMs, finished }) => {
      if (finished) log(`  ${phase.padEnd(13)} ${String(done).padStart(6)}/${total} in ${(elapsedMs / 1000).toFixed(1)} s (${count((done / elapsedMs) * 1000)}/s)`)
    },
  })
  log(`  seeded in ${(seedSummary.ms / 1000).toFixed(1)} s; largest org ${largest?.org} with ${largest?.members} members`)
  // Let the seeder publish its outbox before it goes (the relay runs in every permission process).
  await waitForIdle([seeder.pid], { timeoutMs: 120_000, threshold: idleThreshold })
  await seeder.stop()
  results.seed = { plan: { ...config.sizes, memberships: plan.memberships.length, largestOrg: largest }, ...seedSummary }

  // (2) Warm caches.
  log('(2) Latchkey, warm caches')
  const warm = await startLatchkey({ name: 'latchkey-cached', databaseUrl: database.url, env: shared, ...(profileDir ? { cpuProfileDir: profileDir } : {}) })
  children.push(warm)
  redisPrefixes.push(warm.redisPrefix)
  await waitForIdle([warm.pid], { timeoutMs: 120_000, threshold: idleThreshold })
  const verified = await verifyAndWarm(warm.url, checks)
  log(`  ${verified.checks} checks through /v1/check/bulk: ${verified.allowed} allowed, ${verified.mismatches} differ from the plan`)
  results.verification = verified
  cached = await measured(warm, bodies, 'POST /v1/check', database.url)

  // (5) Bulk against singles, on the warm instance.
  log(`(5) ${config.bulkSize} checks: one bulk request against single requests`)
  bulk = await bulkVersusSingles(warm, checks)
  log(`    bulk ${ms(bulk.bulkMs)}; singles ${ms(bulk.singlesSequentialMs)} sequential, ${ms(bulk.singlesConcurrentMs)} with ${config.connections} connections`)

  // (3) No caches: a second instance over the same database.
  log('(3) Latchkey, caches off')
  const cold = await startLatchkey({
    name: 'latchkey-uncached',
    databaseUrl: database.url,
    env: { ...shared, CACHE_L1_ENABLED: 'false', CACHE_L2_ENABLED: 'false' },
    ...(profileDir ? { cpuProfileDir: profileDir } : {}),
  })
  children.push(cold)
  redisPrefixes.push(cold.redisPrefix)
  await waitForIdle([warm.pid, cold.pid], { timeoutMs: 60_000, threshold: 2 * idleThreshold })
  uncached = await measured(cold, bodies, 'POST /v1/check', database.url)
} catch (err) {
  failure = err
  log(`benchmark failed: ${(err as Error).stack ?? err}`)
} finally {
  for (const child of children) {
    await child.stop()
    if (!exitedAt.has(child.name)) exitedAt.set(child.name, performance.now())
  }
  if (profileDir) {
    // Each server's profile over its measured load only (not its start, warm-up or other cases).
    for (const [name, m] of [['bare-fastify', bare], ['latchkey-cached', cached], ['latchkey-uncached', uncached]] as const) {
      try {
        const path = mainThreadProfile(join(profileDir, name))
        const exit = exitedAt.get(name)
        if (path && m && exit) profiles[name] = summarizeProfile(path, 20, { fromEndMs: exit - m.window.start, toEndMs: exit - m.window.end })
      } catch {
        // That process did not run or wrote no profile.
      }
    }
  }
  for (const prefix of redisPrefixes) await removeRedisKeys(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix)
  if (database) {
    if (flags.keep) log(`database kept: ${database.url}`)
    else await database.drop().catch((err: unknown) => log(`could not drop ${database!.url}: ${(err as Error).message}`))
  }
}

// ---------------------------------------------------------------------------------------------
// The report.

const cores = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(0)}%`)
const cpuPerRequest = (m: Measured) => ((m.cpu.server ?? 0) * m.load.seconds) / Math.max(1, m.load.requests)
/** CPU time per request in µs, from a share of cores over the run: robust to a busy machine. */
const perRequest = (share: number | undefined, m: Measured) => (share === undefined || m.load.requests === 0 ? '-' : `${((share * m.load.seconds * 1e6) / m.load.requests).toFixed(0)} µs`)
const loadRow = (label: string, m: Measured | undefined, note = ''): string[] =>
  m
    ? [label, count(m.load.rps), ms(m.load.latency.p50), ms(m.load.latency.p99), perRequest(m.cpu.server, m), perRequest(m.cpu.postgres, m), cores(m.cpu.server), cores(m.cpu.loadgen), cores(m.cpu.postgres), cores(m.cpu.others), note]
    : [label, '-', '-', '-', '-', '-', '-', '-', '-', '-', 'not run']
const plain = (label: string, rate: string, p50: string, p99: string, note: string): string[] => [label, rate, p50, p99, '-', '-', '-', '-', '-', '-', note]
const rows: string[][] = [
  loadRow('(1) bare Fastify, POST constant', bare),
  loadRow('(2) Latchkey POST /v1/check, warm caches', cached, cached?.l1HitRatio !== undefined ? `L1 hit ratio ${percent(cached.l1HitRatio)}` : ''),
  loadRow('(3) Latchkey POST /v1/check, caches off', uncached, 'one SQL statement a check'),
  ...(l1
    ? [
        plain('(4) L1 hit: TieredCache.get, awaited', `${count(1e9 / l1.get.nsPerOp)} ops/s`, ns(l1.get.nsPerOp), '-', `median of 5 rounds (best ${ns(l1.get.minNsPerOp)}); in process`),
        plain('(4) L1 raw: MemoryTier.read', `${count(1e9 / l1.read.nsPerOp)} ops/s`, ns(l1.read.nsPerOp), '-', `best ${ns(l1.read.minNsPerOp)}`),
      ]
    : [plain('(4) L1 hit', '-', '-', '-', 'not run')]),
  ...(bulk
    ? [
        plain(`(5) ${bulk.size} checks in 1 bulk request`, `${count((bulk.size / bulk.bulkMs) * 1000)} checks/s`, ms(bulk.bulkMs), ms(bulk.bulkP99Ms), `per bulk request, ${config.bulkRepeats} in a row`),
        plain(`(5) ${bulk.size} single checks, sequential`, `${count((bulk.size / bulk.singlesSequentialMs) * 1000)} checks/s`, '-', '-', `total ${ms(bulk.singlesSequentialMs)}; 1 connection`),
        plain(`(5) ${bulk.size} single checks, concurrent`, `${count((bulk.size / bulk.singlesConcurrentMs) * 1000)} checks/s`, '-', '-', `total ${ms(bulk.singlesConcurrentMs)}; ${config.connections} connections`),
      ]
    : [plain('(5) bulk', '-', '-', '-', 'not run')]),
]

const targets = [
  { target: '(2) ≥ 80% of (1)', measured: cached && bare ? cached.load.rps / bare.load.rps : undefined, goal: 0.8, show: percent },
  { target: '(2) ≥ 10× (3)', measured: cached && uncached ? cached.load.rps / uncached.load.rps : undefined, goal: 10, show: ratio },
  { target: 'L1 hit < 2 µs', measured: l1?.get.nsPerOp, goal: 2_000, show: ns, below: true },
  { target: 'bulk ≥ 20× faster than singles (sequential)', measured: bulk?.ratioSequential, goal: 20, show: ratio },
].map((t) => ({
  target: t.target,
  measured: t.measured,
  goal: t.goal,
  shown: t.show(t.measured),
  result: t.measured === undefined ? 'NOT RUN' : (t.below ? t.measured < t.goal : t.measured >= t.goal) ? 'PASS' : 'MISS',
}))

const report = [
  `## Permission check benchmark (${new Date().toISOString()})`,
  '',
  `Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), commit ${String(env.commit ?? '?').slice(0, 10)}${env.dirty ? ' with local changes' : ''}. ` +
    `autocannon in this process, ${config.connections} connections, pipelining ${config.pipelining}, ${config.durationSec} s per case after ${config.warmupSec} s warm-up; ` +
    `${config.distinct} distinct checks (${Math.round((pickAllowedShare(results) ?? 0) * 100)}% allowed) from a seed of ${config.sizes.orgs} orgs, ${config.sizes.roles} roles, ` +
    `${config.sizes.permissions} permissions, ${config.sizes.users} users. CPU/req: CPU time per request of the server and of PostgreSQL. CPU columns: share of one core used by the server, by autocannon (this process), by the PostgreSQL backends of the benchmark's database (all PostgreSQL processes for (1)), and by everything else on the machine (other processes, hypervisor steal: noise).`,
  '',
  markdownTable(
    ['case', 'req/s', 'p50', 'p99', 'server CPU/req', 'postgres CPU/req', 'server CPU', 'load-gen CPU', 'postgres CPU', 'other CPU', 'notes'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  ),
  '',
  markdownTable(
    ['target', 'measured', 'goal', 'result'],
    targets.map((t) => [t.target, t.shown, t.target.startsWith('L1') ? '< 2,000 ns' : t.target.includes('80%') ? '≥ 80%' : t.target.includes('10×') ? '≥ 10×' : '≥ 20×', t.result]),
  ),
  bare && cached && bare.cpu.server && cached.cpu.server
    ? `\nBy server CPU per request (robust to a busy machine): (1) costs ${perRequest(bare.cpu.server, bare)}, (2) ${perRequest(cached.cpu.server, cached)}, so (2) could reach ${percent(cpuPerRequest(bare) / cpuPerRequest(cached))} of (1) on a core of its own.`
    : '',
  bulk ? `Bulk with the same concurrency as singles would be ${ratio(bulk.ratioConcurrent)} (${config.connections} single requests in flight against 1 bulk request).` : '',
  ...Object.entries(profiles).map(([name, summary]) => {
    const m = name === 'bare-fastify' ? bare : name === 'latchkey-cached' ? cached : uncached
    const title = `${name}, measured load only${m ? ` (${((summary.busyMs * 1000) / Math.max(1, m.load.requests)).toFixed(0)} µs busy per request)` : ''}`
    return `\n${formatProfile({ ...summary, byFunction: summary.byFunction.slice(0, 15), byPackage: summary.byPackage.slice(0, 12) }, title)}`
  }),
].join('\n')

function pickAllowedShare(r: Record<string, unknown>): number | undefined {
  const v = r.verification as { checks: number; allowed: number } | undefined
  return v ? v.allowed / v.checks : undefined
}

process.stdout.write(`${report}\n`)
const file = writeResults(config.out, {
  ...results,
  cases: { bare, cached, uncached, l1, bulk },
  targets,
  profiles: profileDir ? { dir: profileDir, summaries: profiles } : undefined,
  failure: failure ? String((failure as Error).stack ?? failure) : undefined,
  elapsedSec: (performance.now() - started) / 1000,
})
log(`\nresults written to ${file} (${((performance.now() - started) / 1000).toFixed(0)} s in all)`)
process.exit(0)
