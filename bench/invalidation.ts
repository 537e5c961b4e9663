// npm run bench:invalidation [-- --quick] [-- --writes 200] [-- --out bench/results/invalidation.json]
//
// How fast does a change made on one replica reach another, and what do the cache's extras cost
// or save? One run, the product as shipped (metrics on), every server a child process:
//   (1) replicas A and B (TARGET=permission) and one TARGET=cache-invalidator share a database, a
//       Redis prefix and a NATS namespace. For each write on A (alternately granting and revoking,
//       so the answer flips every time) B is polled back to back on one keep-alive connection,
//       WITHOUT a token, and the delay from A's answer to B's first correct answer is recorded:
//       (a) a membership change, (b) a role change reaching 100 members (all 100 cached on B),
//       (c) a role change reaching 10,000 members (inserted by SQL; a sample cached on B). Each
//       stage's own delay comes from the processes' histograms, read before and after every write:
//       outbox row → JetStream (A's relay), → Redis + fan-out (the invalidator), → L1 drop (B),
//       aligned with A's answer through the outbox row's timestamps. (b′) repeats (b) on a replica
//       with CACHE_WARM_WINDOW=0s (a diagnostic: what warming costs the first answer). The shared
//       servers (Redis, PostgreSQL, NATS) and the CPU are probed meanwhile, for the noise.
//   (2) the same kinds of writes again, each followed at once by a check on B without a token
//       (was B still stale?) and one with atLeastRevision = the write's revision (must never be).
//   (3) the seed system for comparison: B' with TTL expiry only (no invalidator reaches it: its
//       own NATS namespace, no Redis), TTLs of 5 s: how long it answers the old state after a write.
//   (4) cache warming: a Zipf (s 1.1) check load over 2,000 members of one organization on one
//       replica, the L1 hit ratio per 100 ms from its /metrics, a role change reaching all of them:
//       time until the ratio is back to ≥ 99%, with CACHE_WARM_WINDOW=0s and with the default 60s,
//       and a what-if: warming off, every user re-read with bulk checks right after the drop (what
//       a batched warmer would do).
//   (5) compression: the seed plan's largest organization read through two instances, one with
//       CACHE_COMPRESS_ABOVE=1024 (default) and one with 0; bytes in Redis compared.
// Prints markdown tables, writes JSON, exits 0 (it is a measurement).
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { createTestDatabase, removeRedisKeys } from '@latchkey/testing'
import { applyPlan, createJsonClient, type JsonClient } from '../scripts/seed/apply.ts'
import { buildPlan, createRng, orgSizes, roleClosure } from '../scripts/seed/plan.ts'
import { watchCpu, waitForIdle, type CpuShares } from './lib/cpu-time.ts'
import { createFastClient, type FastClient } from './lib/fast-client.ts'
import { histogramDelta, readHistogram, type HistogramReading } from './lib/histogram.ts'
import { benchRedisPrefix, startLatchkey } from './lib/latchkey-process.ts'
import { natsMaxPayload, removeChangeStreams } from './lib/nats-streams.ts'
import type { NodeProcess } from './lib/node-process.ts'
import { scrape, sum, type Samples } from './lib/prometheus.ts'
import { redisCensus, type TypeCensus } from './lib/redis-census.ts'
import { startProbes, type ProbeStats, type ProbeSummary } from './lib/server-probes.ts'
import { environment, writeResults } from './lib/results.ts'
import { insertMembers, newestEventSize, outboxTimes } from './lib/sql-members.ts'
import { quantile } from './lib/stats.ts'
import { count, markdownTable, ms, percent } from './lib/table.ts'
import { zipfSampler, zipfTopShare } from './lib/zipf.ts'
import { integerFlag, parseFlags } from './lib/cli.ts'

const usage = `Usage: npm run bench:invalidation -- [options]

  --quick              short run (about 90 s): 60 writes per case, 6 for 10,000 members,
                       a smaller seed, shorter observation windows
  --writes N           measured writes per case for (a) and (b), and again for the token series (default 200)
  --writes-large N     measured writes for (c), and again for its token series (default 20)
  --large-members N    members reached by the role change of (c) (default 10000)
  --large-sample N     of them, cached on B before each write (default 1000; quick 300)
  --warm-users N       members under the Zipf load of (4) (default 2000)
  --zipf S             Zipf exponent of (4) (default 1.1)
  --connections N      concurrent requests of the load of (4) (default 16)
  --observe S          seconds observed after the role change of (4) (default 8; quick 5)
  --stale-users N      writes of (3), spread over one TTL (default 10; quick 5)
  --orgs N --roles N --permissions N --users N --seed N
                       the seed plan of (5) (default 20, 100, 300, 3000; quick 10, 50, 300, 1000; seed 42)
  --broadest N         broadest users of the largest organization read in (5) (default 50)
  --out PATH           JSON results (default bench/results/invalidation.json)
  --keep               keep the database (its URL is printed)
  --help`

const flags = parseFlags('bench:invalidation', usage, {
  quick: { type: 'boolean', default: false },
  writes: { type: 'string' },
  'writes-large': { type: 'string' },
  'large-members': { type: 'string' },
  'large-sample': { type: 'string' },
  'warm-users': { type: 'string' },
  zipf: { type: 'string' },
  connections: { type: 'string' },
  observe: { type: 'string' },
  'stale-users': { type: 'string' },
  orgs: { type: 'string' },
  roles: { type: 'string' },
  permissions: { type: 'string' },
  users: { type: 'string' },
  seed: { type: 'string' },
  broadest: { type: 'string' },
  out: { type: 'string', default: 'bench/results/invalidation.json' },
  keep: { type: 'boolean', default: false },
  help: { type: 'boolean', default: false },
})

const integer = (name: string, value: string | undefined, fallback: number, min = 1): number => integerFlag('bench:invalidation', name, value, fallback, min)

const quick = flags.quick
const config = {
  quick,
  writes: integer('writes', flags.writes, quick ? 60 : 200, 2),
  writesLarge: integer('writes-large', flags['writes-large'], quick ? 6 : 20, 2),
  largeMembers: integer('large-members', flags['large-members'], 10_000),
  largeSample: integer('large-sample', flags['large-sample'], quick ? 300 : 1_000),
  warmUsers: integer('warm-users', flags['warm-users'], 2_000),
  zipfS: flags.zipf === undefined ? 1.1 : Number(flags.zipf),
  loadConnections: integer('connections', flags.connections, 16),
  preLoadMs: quick ? 1_500 : 2_500,
  observeMs: integer('observe', flags.observe, quick ? 5 : 8) * 1_000,
  staleUsers: integer('stale-users', flags['stale-users'], quick ? 5 : 10),
  seedTtl: '5s',
  seedTtlMs: 5_000,
  sizes: {
    orgs: integer('orgs', flags.orgs, quick ? 10 : 20),
    roles: integer('roles', flags.roles, quick ? 50 : 100),
    permissions: integer('permissions', flags.permissions, 300),
    users: integer('users', flags.users, quick ? 1_000 : 3_000),
  },
  seed: integer('seed', flags.seed, 42, 0),
  broadest: integer('broadest', flags.broadest, 50),
  pollTimeoutMs: 10_000,
  targets: { smallP99Ms: 50, largeP99Ms: 500, warmRecoveryMs: 1_000, hitRatio: 0.99 },
  out: flags.out,
}

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
const log = (message: string) => process.stderr.write(`${message}\n`)
const sleep = (msec: number) => new Promise((resolve) => setTimeout(resolve, msec))
const loadAverage = () => loadavg().map((x) => Number(x.toFixed(2)))
const PERMISSION = 'bench.flip'

// ---------------------------------------------------------------------------------------------
// Small tools

type Latchkey = NodeProcess & { redisPrefix: string }

/** What a check answered: allowed, the revision, the status (200 unless something failed). */
interface CheckReading {
  status: number
  allowed: boolean | undefined
  revision: string | undefined
}

const checkBody = (org: string, user: string, permission: string, atLeastRevision?: string) =>
  JSON.stringify({ org, user, permission, ...(atLeastRevision === undefined ? {} : { atLeastRevision }) })

async function checkOnce(client: FastClient, body: string): Promise<CheckReading> {
  const res = await client.post('/v1/check', body)
  if (res.status !== 200) return { status: res.status, allowed: undefined, revision: undefined }
  const parsed = JSON.parse(res.text) as { allowed: boolean; revision: string }
  return { status: 200, allowed: parsed.allowed, revision: parsed.revision }
}

/**
 * Sends `body` back to back until the answer is `expected`; resolves with the time of the first
 * correct answer (performance.now()), the number of requests and the last stale answer's time.
 */
async function pollUntil(client: FastClient, body: string, expected: boolean, timeoutMs: number): Promise<{ at: number; polls: number; timedOut: boolean }> {
  const started = performance.now()
  let polls = 0
  for (;;) {
    const answer = await checkOnce(client, body)
    polls++
    const now = performance.now()
    if (answer.allowed === expected) return { at: now, polls, timedOut: false }
    if (now - started > timeoutMs) return { at: now, polls, timedOut: true }
  }
}

async function expectOk(client: JsonClient, method: string, path: string, body?: unknown): Promise<any> {
  const res = await client.request(method, path, body)
  if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path} answered ${res.status}: ${JSON.stringify(res.body)}`)
  return res.body
}

/** Bulk checks (no token) of `users` on a replica, `batch` per request, to fill its caches. */
async function warmUsers(client: JsonClient, org: string, users: string[], batch = 100, parallel = 2): Promise<number> {
  let allowed = 0
  const batches: string[][] = []
  for (let i = 0; i < users.length; i += batch) batches.push(users.slice(i, i + batch))
  let next = 0
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < batches.length) {
        const chunk = batches[next++]!
        const body = await expectOk(client, 'POST', '/v1/check/bulk', { checks: chunk.map((user) => ({ org, user, permission: PERMISSION })) })
        allowed += (body.results as { allowed: boolean }[]).filter((r) => r.allowed).length
      }
    }),
  )
  return allowed
}

const userIds = (n: number, seed: number, tag: string): string[] => {
  const rng = createRng(seed)
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz'
  const ids = new Set<string>()
  while (ids.size < n) {
    let id = `usr_${tag}`
    for (let c = 0; c < 12 - tag.length; c++) id += alphabet[rng.int(36)]
    ids.add(id)
  }
  return [...ids]
}

const summarize = (values: number[]) => {
  const sorted = Float64Array.from(values).sort()
  return {
    n: values.length,
    p50: quantile(sorted, 0.5),
    p90: quantile(sorted, 0.9),
    p99: quantile(sorted, 0.99),
    max: sorted.length > 0 ? sorted[sorted.length - 1]! : Number.NaN,
    mean: values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN,
  }
}
type Summary = ReturnType<typeof summarize>

/** The processes whose histograms tell where the time goes. */
interface Readings {
  relay?: HistogramReading
  invalidator?: HistogramReading
  l1Drop?: HistogramReading
}

const RELAY = 'latchkey_outbox_publish_delay_seconds'
const APPLY = 'latchkey_cache_invalidation_apply_seconds'
const L1_DROP = 'latchkey_cache_invalidation_delay_seconds'

// ---------------------------------------------------------------------------------------------
// (1) and (2): one series of writes on A, each followed by polling B

interface SeriesCase {
  key: 'membership' | 'role100' | 'role100-nowarm' | 'role10k'
  label: string
  /** A comparison without a target of its own. */
  diagnostic?: boolean
  /** The write on A; `grant` makes the polled check allowed. Returns the revision. */
  write(grant: boolean): Promise<string>
  org: string
  /** The member polled without a token (delay series) and checked with one (token series). */
  user: string
  /** Before each write of the delay series: fill B's cache with every member the change reaches. */
  rewarm?: () => Promise<void>
  /** Before each write: let the previous write's background work end. */
  settle: () => Promise<void>
}

interface WriteRecord {
  revision: string
  /** Date.now() when the write was sent to A and when A's answer arrived. */
  sentWall: number
  answeredWall: number
  delayMs: number
  writeMs: number
  polls: number
  /** Stage delays from the processes' histograms, from the write's transaction start (ms). */
  relayMs?: number
  invalidatorMs?: number
  l1DropMs?: number
  /** PostgreSQL's outbox timestamps (ms since the epoch). */
  txStartWall?: number
  publishedWall?: number
}

interface DelaySeries {
  case: string
  diagnostic: boolean
  writes: number
  /** A's answer → B's first correct answer without a token, ms. */
  delay: Summary
  /** The write request on A, ms. */
  writeMs: Summary
  pollsPerWrite: Summary
  timeouts: number
  /** Per write, ms (exact: one event between two readings): outbox row written → stored in JetStream and the row marked (A's relay). */
  relayMs: Summary
  /** outbox row written → applied to Redis and fanned out (the invalidator). */
  invalidatorMs: Summary
  /** outbox row written → dropped from B's L1. */
  l1DropMs: Summary
  /** Writes for which a stage's histogram did not move by exactly one event. */
  unattributed: number
  raw: WriteRecord[]
  /** Each stage on one clock, in ms after A's answer (negative: before it). */
  afterAnswer: { txStart: Summary; published: Summary; invalidator: Summary; l1Drop: Summary; correct: Summary }
  /** From the drop in B's L1 to B's first correct answer: B computing the entry again (ms). */
  recomputeMs: Summary
  cpu: CpuShares
  loadAverage: number[]
  seconds: number
}

interface TokenSeries {
  case: string
  writes: number
  /** Checks without a token, sent right after A's answer, that still answered the old state. */
  staleWithoutToken: number
  /** Checks with atLeastRevision = the write's revision that answered the old state (must be 0). */
  staleWithToken: number
  /** Token checks that did not answer 200. */
  errors: number
  tokenCheckMs: Summary
  seconds: number
}

async function readingsOf(a: Latchkey, b: Latchkey, inv: Latchkey, which: { a?: boolean; b?: boolean; inv?: boolean }): Promise<Readings> {
  const [sa, sb, si] = await Promise.all([
    which.a ? scrape(a.url).catch(() => undefined) : undefined,
    which.b ? scrape(b.url).catch(() => undefined) : undefined,
    which.inv ? scrape(inv.url).catch(() => undefined) : undefined,
  ])
  return {
    ...(sa ? { relay: readHistogram(sa, RELAY) } : {}),
    ...(si ? { invalidator: readHistogram(si, APPLY) } : {}),
    ...(sb ? { l1Drop: readHistogram(sb, L1_DROP) } : {}),
  }
}

/** One event's value (ms) when exactly one observation happened between the readings. */
function oneEvent(after: HistogramReading | undefined, before: HistogramReading | undefined): number | undefined {
  const d = histogramDelta(after, before)
  return d && d.count === 1 ? d.sum * 1000 : undefined
}

async function runDelaySeries(spec: SeriesCase, writes: number, ctx: { a: Latchkey; b: Latchkey; inv: Latchkey; poller: FastClient }): Promise<DelaySeries> {
  const { a, b, inv, poller } = ctx
  const raw: DelaySeries['raw'] = []
  let timeouts = 0
  let unattributed = 0
  const started = performance.now()
  const cpu = watchCpu({ machine: 'machine', bench: 'self', a: a.pid, b: b.pid, invalidator: inv.pid, postgres: 'cmd:postgres' })
  let previousRelay: HistogramReading | undefined
  for (let i = 0; i < writes; i++) {
    const grant = i % 2 === 0
    const body = checkBody(spec.org, spec.user, PERMISSION)
    // B answers the old state, from its cache (this also reads the entry: it is in use).
    const before = await pollUntil(poller, body, !grant, config.pollTimeoutMs)
    if (before.timedOut) throw new Error(`${spec.label}: B never answered the state before write ${i}`)
    await spec.rewarm?.()
    await spec.settle()
    const pre = await readingsOf(a, b, inv, { a: true, b: true, inv: true })
    if (i > 0) {
      const relay = oneEvent(pre.relay, previousRelay)
      if (relay !== undefined) raw[i - 1]!.relayMs = relay
      else unattributed++
    }
    previousRelay = pre.relay
    const sentWall = Date.now()
    const sent = performance.now()
    const revision = await spec.write(grant)
    const answered = performance.now()
    const answeredWall = Date.now()
    const after = await pollUntil(poller, body, grant, config.pollTimeoutMs)
    if (after.timedOut) timeouts++
    const post = await readingsOf(a, b, inv, { b: true, inv: true })
    const invalidatorMs = oneEvent(post.invalidator, pre.invalidator)
    const l1DropMs = oneEvent(post.l1Drop, pre.l1Drop)
    if (invalidatorMs === undefined || l1DropMs === undefined) unattributed++
    raw.push({
      revision,
      sentWall,
      answeredWall,
      delayMs: after.at - answered,
      writeMs: answered - sent,
      polls: after.polls,
      ...(invalidatorMs !== undefined ? { invalidatorMs } : {}),
      ...(l1DropMs !== undefined ? { l1DropMs } : {}),
    })
  }
  // The last write's relay reading (it is recorded once JetStream acknowledged and the row is marked).
  await sleep(200)
  const last = await readingsOf(a, b, inv, { a: true })
  const relay = oneEvent(last.relay, previousRelay)
  if (relay !== undefined && raw.length > 0) raw[raw.length - 1]!.relayMs = relay
  const times = await outboxTimes(database!.url, spec.org, raw.map((r) => r.revision))
  for (const r of raw) {
    const t = times.get(r.revision)
    if (t) {
      r.txStartWall = t.createdMs
      if (t.publishedMs !== undefined) r.publishedWall = t.publishedMs
    }
  }
  const pick = (f: (r: WriteRecord) => number | undefined) => summarize(raw.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x)))
  const since = (r: WriteRecord, stage: number | undefined) => (r.txStartWall === undefined || stage === undefined ? undefined : r.txStartWall + stage - r.answeredWall)
  return {
    case: spec.label,
    diagnostic: spec.diagnostic ?? false,
    writes,
    delay: pick((r) => r.delayMs),
    writeMs: pick((r) => r.writeMs),
    pollsPerWrite: pick((r) => r.polls),
    timeouts,
    relayMs: pick((r) => r.relayMs),
    invalidatorMs: pick((r) => r.invalidatorMs),
    l1DropMs: pick((r) => r.l1DropMs),
    unattributed,
    raw,
    afterAnswer: {
      txStart: pick((r) => (r.txStartWall === undefined ? undefined : r.txStartWall - r.answeredWall)),
      published: pick((r) => (r.publishedWall === undefined ? undefined : r.publishedWall - r.answeredWall)),
      invalidator: pick((r) => since(r, r.invalidatorMs)),
      l1Drop: pick((r) => since(r, r.l1DropMs)),
      correct: pick((r) => r.delayMs),
    },
    recomputeMs: pick((r) => {
      const drop = since(r, r.l1DropMs)
      return drop === undefined ? undefined : r.delayMs - drop
    }),
    cpu: cpu.stop(),
    loadAverage: loadAverage(),
    seconds: (performance.now() - started) / 1000,
  }
}

async function runTokenSeries(spec: SeriesCase, writes: number, ctx: { poller: FastClient }): Promise<TokenSeries> {
  const { poller } = ctx
  let staleWithoutToken = 0
  let staleWithToken = 0
  let errors = 0
  const tokenMs: number[] = []
  const started = performance.now()
  for (let i = 0; i < writes; i++) {
    const grant = i % 2 === 0
    const body = checkBody(spec.org, spec.user, PERMISSION)
    const before = await pollUntil(poller, body, !grant, config.pollTimeoutMs)
    if (before.timedOut) throw new Error(`${spec.label}: B never answered the state before token write ${i}`)
    await spec.settle()
    const revision = await spec.write(grant)
    // At once: without a token (how often was B still stale at this instant?), then with it.
    const plain = await checkOnce(poller, body)
    if (plain.allowed !== grant) staleWithoutToken++
    const sent = performance.now()
    const token = await checkOnce(poller, checkBody(spec.org, spec.user, PERMISSION, revision))
    tokenMs.push(performance.now() - sent)
    if (token.status !== 200) errors++
    else if (token.allowed !== grant || Number(token.revision) < Number(revision)) staleWithToken++
  }
  return { case: spec.label, writes, staleWithoutToken, staleWithToken, errors, tokenCheckMs: summarize(tokenMs), seconds: (performance.now() - started) / 1000 }
}

// ---------------------------------------------------------------------------------------------
// (3) The seed system: TTL expiry only

interface TtlResult {
  ttlMs: number
  writes: number
  /** Per write: when after the fill the write happened, and how long B' answered the old state after A's answer (ms). */
  raw: { offsetMs: number; windowMs: number; timedOut: boolean }[]
  window: Summary
}

async function runTtlStaleness(a: JsonClient, bPrime: Latchkey, org: string, users: string[]): Promise<TtlResult> {
  const client = createFastClient(bPrime.url, { connections: users.length })
  const ttl = config.seedTtlMs
  try {
    // Fill B' with the old state of every user, noting when each entry was filled.
    const filledAt: number[] = []
    for (const user of users) {
      const r = await checkOnce(client, checkBody(org, user, PERMISSION))
      if (r.allowed !== false) throw new Error(`B' answered ${JSON.stringify(r)} for ${user} before any write`)
      filledAt.push(performance.now())
    }
    const raw = await Promise.all(
      users.map(async (user, k) => {
        const offsetMs = (k * ttl) / users.length
        await sleep(Math.max(0, filledAt[k]! + offsetMs - performance.now()))
        const wroteAt = performance.now()
        await expectOk(a, 'PUT', `/v1/orgs/${org}/members/${user}`, { roles: ['granted'] })
        const answered = performance.now()
        // Paced polling (every 10 ms): the window is seconds long.
        const body = checkBody(org, user, PERMISSION)
        for (;;) {
          const r = await checkOnce(client, body)
          const now = performance.now()
          if (r.allowed === true) return { offsetMs: wroteAt - filledAt[k]!, windowMs: now - answered, timedOut: false }
          if (now - answered > 3 * ttl) return { offsetMs: wroteAt - filledAt[k]!, windowMs: now - answered, timedOut: true }
          await sleep(10)
        }
      }),
    )
    return { ttlMs: ttl, writes: users.length, raw, window: summarize(raw.map((r) => r.windowMs)) }
  } finally {
    client.close()
  }
}

// ---------------------------------------------------------------------------------------------
// (4) Warming under a Zipf load

interface WarmingWindow {
  /** ms relative to A's write answer: the window's start and end. */
  startMs: number
  endMs: number
  lookups: number
  hitRatio: number
  allTypesHitRatio: number
  warmed: number
}

interface WarmingResult {
  label: string
  warmWindow: string
  users: number
  requests: number
  rps: number
  non200: number
  errors: number
  topShare: { top20: number; top200: number }
  hitRatioBefore: number
  minHitRatio: number
  /** ms from A's write answer to the end of the first window below 99% (the fan-out reached the replica before). */
  dipWindowEndMs?: number
  /** ms from A's write answer until the hit ratio is ≥ 99% for good (undefined: not within the observation). */
  recoveryMs?: number
  /** Misses of the user_permissions type after the write. */
  missesAfter: number
  /** Entries warmed in the background after the write, and when the last was (ms after the answer). */
  warmed: number
  warmingDoneMs?: number
  windows: WarmingWindow[]
  /** The load's check latency (ms) in the second before A's answer and the two seconds after it. */
  latencyBefore: { answers: number; p50: number; p99: number; max: number }
  latencyAfter: { answers: number; p50: number; p99: number; max: number }
  /** The what-if run: when the batched re-read of every user had ended (ms after A's answer). */
  rereadDoneMs?: number
  writeMs: number
  cpu: CpuShares
  loadAverage: number[]
}

/**
 * `batchedReread`: right after the fan-out dropped the entries on `target`, re-read every user with
 * two bulk checks (one SQL statement per 1,000 users): what a batched warmer would do in process.
 */
async function runWarming(label: string, warmWindow: string, target: Latchkey, a: JsonClient, org: string, users: string[], grant: boolean, batchedReread = false): Promise<WarmingResult> {
  const rng = createRng(config.seed + 7)
  // Zipf over a shuffled order: the hottest users are not the first ids (which warming reaches first).
  const order = rng.shuffle([...users])
  const draw = zipfSampler(order.length, config.zipfS, () => rng.next())
  const bodies = order.map((user) => checkBody(org, user, 'bench.keep'))
  const warmClient = createJsonClient(target.url, { connections: 4 })
  await warmUsers(warmClient, org, users, 100, 4)
  warmClient.close()

  const load = createFastClient(target.url, { connections: config.loadConnections, timeoutMs: 10_000 })
  let stopped = false
  let requests = 0
  let non200 = 0
  let errors = 0
  // Every answer: when it arrived and how long it took (ms), for the latency around the change.
  const answers: { at: number; ms: number }[] = []
  const loops = Array.from({ length: config.loadConnections }, async () => {
    while (!stopped) {
      const t0 = performance.now()
      try {
        const res = await load.post('/v1/check', bodies[draw()]!)
        const t1 = performance.now()
        answers.push({ at: t1, ms: t1 - t0 })
        requests++
        if (res.status !== 200) non200++
      } catch {
        errors++
      }
    }
  })
  type Reading = { at: number; hits: number; misses: number; allHits: number; allMisses: number; warmed: number }
  const readings: Reading[] = []
  const l1 = (s: Samples, type: string | undefined, result: string) =>
    sum(s, /^latchkey_cache_requests_total$/, { ...(type ? { cache_type: type } : {}), cache_level: 'l1', cache_result: result }) ?? 0
  const scraper = (async () => {
    while (!stopped) {
      const t0 = performance.now()
      const s = await scrape(target.url).catch(() => undefined)
      const t1 = performance.now()
      if (s) {
        readings.push({
          at: (t0 + t1) / 2,
          hits: l1(s, 'user_permissions', 'hit'),
          misses: l1(s, 'user_permissions', 'miss'),
          allHits: l1(s, undefined, 'hit'),
          allMisses: l1(s, undefined, 'miss'),
          warmed: sum(s, /^latchkey_cache_warmed_entries_total$/) ?? 0,
        })
      }
      await sleep(Math.max(0, 100 - (performance.now() - t0)))
    }
  })()
  const loadStarted = performance.now()
  await sleep(config.preLoadMs)
  const cpu = watchCpu({ machine: 'machine', bench: 'self', target: target.pid, postgres: 'cmd:postgres' })
  const dropsBefore = batchedReread ? (readHistogram(await scrape(target.url), L1_DROP)?.count ?? 0) : 0
  const sent = performance.now()
  await expectOk(a, 'PUT', `/v1/orgs/${org}/roles/base`, { permissions: grant ? ['bench.other', PERMISSION] : ['bench.other'] })
  const answered = performance.now()
  let rereadMs: number | undefined
  if (batchedReread) {
    // Wait for the fan-out to reach the target (its invalidation-delay histogram moves), then re-read.
    while ((readHistogram(await scrape(target.url), L1_DROP)?.count ?? 0) === dropsBefore && performance.now() - answered < 5_000) await sleep(2)
    const reread = createJsonClient(target.url, { connections: 4 })
    await warmUsers(reread, org, users, 250, 4)
    reread.close()
    rereadMs = performance.now() - answered
  }
  await sleep(Math.max(0, config.observeMs - (performance.now() - answered)))
  stopped = true
  await Promise.all([...loops, scraper])
  const shares = cpu.stop()
  const loadSeconds = (performance.now() - loadStarted) / 1000
  load.close()

  const windows: WarmingWindow[] = []
  const ratio = (h: number, m: number) => (h + m === 0 ? 1 : h / (h + m))
  for (let j = 1; j < readings.length; j++) {
    const p = readings[j - 1]!
    const c = readings[j]!
    const hits = c.hits - p.hits
    const misses = c.misses - p.misses
    windows.push({
      startMs: p.at - answered,
      endMs: c.at - answered,
      lookups: hits + misses,
      hitRatio: ratio(hits, misses),
      allTypesHitRatio: ratio(c.allHits - p.allHits, c.allMisses - p.allMisses),
      warmed: c.warmed - readings[0]!.warmed,
    })
  }
  const goal = config.targets.hitRatio
  const minLookups = 20
  const before = windows.filter((w) => w.endMs <= -100 && w.lookups >= minLookups)
  const after = windows.filter((w) => w.endMs > 0)
  const counted = after.filter((w) => w.lookups >= minLookups)
  const dip = counted.find((w) => w.hitRatio < goal)
  const lastBelow = [...counted].reverse().find((w) => w.hitRatio < goal)
  const lastCounted = counted.at(-1)
  let recoveryMs: number | undefined
  if (!lastBelow) recoveryMs = 0
  else if (lastCounted && lastBelow !== lastCounted) recoveryMs = lastBelow.endMs
  // Latency of the load's checks: the second before the change, and the two seconds after it
  // (answers that arrived then; a request stalled behind a load shows up as a long one).
  const latency = (from: number, to: number) => {
    const inWindow = answers.filter((x) => x.at >= from && x.at < to).map((x) => x.ms)
    const s = summarize(inWindow)
    return { answers: inWindow.length, p50: s.p50, p99: s.p99, max: s.max }
  }
  const latencyBefore = latency(answered - 1_000, answered)
  const latencyAfter = latency(answered, answered + 2_000)
  const firstAfter = readings.find((r) => r.at >= answered)
  const lastReading = readings.at(-1)
  const warmedAfter = firstAfter && lastReading ? lastReading.warmed - firstAfter.warmed : 0
  const warmingDone = warmedAfter > 0 ? readings.find((r) => r.at >= answered && r.warmed - firstAfter!.warmed >= warmedAfter) : undefined
  return {
    label,
    warmWindow,
    users: users.length,
    requests,
    rps: requests / loadSeconds,
    non200,
    errors,
    topShare: { top20: zipfTopShare(users.length, config.zipfS, 20), top200: zipfTopShare(users.length, config.zipfS, 200) },
    hitRatioBefore: before.length > 0 ? before.reduce((s, w) => s + w.hitRatio * w.lookups, 0) / before.reduce((s, w) => s + w.lookups, 0) : Number.NaN,
    minHitRatio: Math.min(...counted.map((w) => w.hitRatio)),
    ...(dip ? { dipWindowEndMs: dip.endMs } : {}),
    ...(recoveryMs !== undefined ? { recoveryMs } : {}),
    missesAfter: firstAfter && lastReading ? lastReading.misses - firstAfter.misses : 0,
    warmed: warmedAfter,
    ...(warmingDone ? { warmingDoneMs: warmingDone.at - answered } : {}),
    windows,
    latencyBefore,
    latencyAfter,
    ...(rereadMs !== undefined ? { rereadDoneMs: rereadMs } : {}),
    writeMs: answered - sent,
    cpu: shares,
    loadAverage: loadAverage(),
  }
}

// ---------------------------------------------------------------------------------------------
// (5) Compression

interface CompressionResult {
  org: string
  members: number
  roles: number
  broadestUsers: number
  /** Effective permissions of the broadest user read. */
  broadestPermissions: number
  identicalAnswers: boolean
  compressed: Record<string, TypeCensus>
  uncompressed: Record<string, TypeCensus>
  savedBytesMetric?: number
}

async function runCompression(plan: ReturnType<typeof buildPlan>, on: Latchkey, off: Latchkey): Promise<CompressionResult> {
  const largest = orgSizes(plan)[0]!
  const closure = roleClosure(plan).get(largest.org) ?? new Map<string, ReadonlySet<string>>()
  const effective = (roles: string[]) => new Set(roles.flatMap((r) => [...(closure.get(r) ?? [])])).size
  const members = plan.memberships.filter((m) => m.org === largest.org).map((m) => ({ user: m.user, size: effective(m.roles) }))
  members.sort((x, y) => y.size - x.size || x.user.localeCompare(y.user))
  const broadest = members.slice(0, config.broadest)
  const read = async (instance: Latchkey) => {
    const client = createJsonClient(instance.url, { connections: 8 })
    try {
      const roles = await expectOk(client, 'GET', `/v1/orgs/${largest.org}/roles`)
      const perms = await Promise.all(broadest.map((m) => expectOk(client, 'GET', `/v1/orgs/${largest.org}/members/${m.user}/permissions`)))
      return JSON.stringify({ roles, perms: perms.map((p: { user: string; permissions: string[] }) => [p.user, p.permissions]) })
    } finally {
      client.close()
    }
  }
  const [answerOn, answerOff] = await Promise.all([read(on), read(off)])
  const [compressed, uncompressed, metrics] = await Promise.all([redisCensus(redisUrl, on.redisPrefix), redisCensus(redisUrl, off.redisPrefix), scrape(on.url).catch(() => undefined)])
  const saved = metrics ? sum(metrics, /^latchkey_cache_compression_saved_bytes_total$/) : undefined
  return {
    org: largest.org,
    members: largest.members,
    roles: plan.roles.filter((r) => r.org === largest.org).length,
    broadestUsers: broadest.length,
    broadestPermissions: broadest[0]?.size ?? 0,
    identicalAnswers: answerOn === answerOff,
    compressed,
    uncompressed,
    ...(saved !== undefined ? { savedBytesMetric: saved } : {}),
  }
}

// ---------------------------------------------------------------------------------------------

const started = performance.now()
const env = environment()
log(`invalidation benchmark: node ${env.node}, ${env.cpus} CPUs, load average ${loadAverage().join(' ')}${quick ? ' (quick)' : ''}`)

const children: Latchkey[] = []
const prefixes: string[] = []
const namespace = `lkinv${randomBytes(4).toString('hex')}`
const seedNamespace = `${namespace}ttl`
let database: Awaited<ReturnType<typeof createTestDatabase>> | undefined
const failures: string[] = []
const phaseLoad: Record<string, number[]> = {}
const probesByPhase: Record<string, ProbeSummary> = {}
const delays: DelaySeries[] = []
const tokens: TokenSeries[] = []
let ttl: TtlResult | undefined
const warming: WarmingResult[] = []
let compression: CompressionResult | undefined
let seedSummary: unknown
let largeEvent: { type: string; bytes: number; entries: number } | undefined
let maxPayload: number | undefined
let relayLeader: string | undefined
let invalidatorStats: unknown

async function start(name: string, env: Record<string, string>, redisPrefix?: string): Promise<Latchkey> {
  const p = await startLatchkey({ name, databaseUrl: database!.url, ...(redisPrefix ? { redisPrefix } : {}), env })
  children.push(p)
  if (!prefixes.includes(p.redisPrefix)) prefixes.push(p.redisPrefix)
  return p
}

/** Runs one part of the benchmark; with `key`, probes the shared servers meanwhile (reported under that key). */
async function phase(name: string, work: () => Promise<void>, key?: string): Promise<void> {
  const t0 = performance.now()
  phaseLoad[name] = loadAverage()
  log(`${name} (load average ${phaseLoad[name]!.join(' ')})`)
  const probes = key && database ? await startProbes({ redisUrl, databaseUrl: database.url, natsUrl }).catch(() => undefined) : undefined
  try {
    await work()
  } catch (err) {
    failures.push(`${name}: ${(err as Error).stack ?? err}`)
    log(`  FAILED: ${(err as Error).message}`)
  }
  if (probes && key) probesByPhase[key] = await probes.stop()
  log(`  ${((performance.now() - t0) / 1000).toFixed(1)} s`)
}

try {
  maxPayload = await natsMaxPayload(natsUrl)
  database = await createTestDatabase()
  const shared = benchRedisPrefix()
  const main = { TARGET: 'permission', NATS_NAMESPACE: namespace }
  // A first, so that its outbox relay holds the database's relay lock (one relay publishes).
  log('starting A, then B, the invalidator and the comparison instances')
  const a = await start('latchkey-a', main, shared)
  for (let i = 0; i < 100; i++) {
    const s = await scrape(a.url).catch(() => undefined)
    if (s && sum(s, /^latchkey_outbox_relay_leader$/) === 1) {
      relayLeader = 'A'
      break
    }
    await sleep(100)
  }
  const [b, inv, noWarm, compressOn, compressOff, bPrime] = await Promise.all([
    start('latchkey-b', main, shared),
    start('latchkey-invalidator', { TARGET: 'cache-invalidator', NATS_NAMESPACE: namespace }, shared),
    // (4) without warming: a replica of the same deployment.
    start('latchkey-b-nowarm', { ...main, CACHE_WARM_WINDOW: '0s' }, shared),
    // (5) two instances with Redis prefixes of their own.
    start('latchkey-compress-1024', main),
    start('latchkey-compress-0', { ...main, CACHE_COMPRESS_ABOVE: '0' }),
    // (3) the seed system: no fan-out reaches it (its own namespace), no Redis, 5 s TTLs.
    start('latchkey-b-ttl', {
      TARGET: 'permission',
      NATS_NAMESPACE: seedNamespace,
      CACHE_L2_ENABLED: 'false',
      CACHE_TTL_USER_PERMISSIONS: config.seedTtl,
      CACHE_TTL_ORGANIZATION: config.seedTtl,
    }),
  ])
  const writer = createJsonClient(a.url, { connections: 4 })
  const poller = createFastClient(b.url, { connections: 1 })
  const ctx = { a, b, inv, poller }

  // The seed plan through A (the comparison data of (5), and background data for everything else).
  const plan = buildPlan({ ...config.sizes, seed: config.seed })
  await phase(`seed: ${plan.permissions.length} permissions, ${plan.orgs.length} orgs, ${plan.roles.length} roles, ${plan.users.length} users, ${plan.memberships.length} memberships through A`, async () => {
    seedSummary = await applyPlan(plan, {
      url: a.url,
      onProgress: ({ phase, done, total, elapsedMs, finished }) => {
        if (finished) log(`  ${phase.padEnd(13)} ${String(done).padStart(6)}/${total} in ${(elapsedMs / 1000).toFixed(1)} s`)
      },
    })
    await waitForIdle([a.pid, b.pid, inv.pid], { timeoutMs: 60_000, threshold: 0.1 })
  })

  await phase('(5) compression: the largest organization through CACHE_COMPRESS_ABOVE=1024 and =0', async () => {
    compression = await runCompression(plan, compressOn, compressOff)
    log(`  ${compression.org}: ${Object.entries(compression.compressed).map(([t, c]) => `${t} ${count(c.valueBytes)} B`).join(', ')} against ${Object.entries(compression.uncompressed).map(([t, c]) => `${t} ${count(c.valueBytes)} B`).join(', ')}`)
  })
  await Promise.all([compressOn.stop(), compressOff.stop()])

  // Fixtures of (1) to (4), through A (except the large memberships, by SQL).
  const small = 'inv-small'
  const large = 'inv-large'
  const warmOrg = 'inv-warm'
  const team = userIds(100, 1, 't')
  const largeUsers = userIds(config.largeMembers, 2, 'l')
  const warmUsersIds = userIds(config.warmUsers, 3, 'w')
  const staleUsers = Array.from({ length: config.staleUsers }, (_, k) => `stale-${k}`)
  await phase('fixtures', async () => {
    for (const key of [PERMISSION, 'bench.other', 'bench.keep']) await writer.request('POST', '/v1/permissions', { key })
    for (const slug of [small, large, warmOrg]) await expectOk(writer, 'POST', '/v1/orgs', { slug, name: slug })
    await expectOk(writer, 'POST', `/v1/orgs/${small}/roles`, { name: 'granted', permissions: [PERMISSION] })
    await expectOk(writer, 'POST', `/v1/orgs/${small}/roles`, { name: 'plain', permissions: ['bench.other'] })
    await expectOk(writer, 'POST', `/v1/orgs/${small}/roles`, { name: 'team', permissions: ['bench.other'] })
    await expectOk(writer, 'POST', `/v1/orgs/${large}/roles`, { name: 'everyone', permissions: ['bench.other'] })
    await expectOk(writer, 'POST', `/v1/orgs/${warmOrg}/roles`, { name: 'base', permissions: ['bench.other'] })
    for (let d = 0; d < 4; d++) await expectOk(writer, 'POST', `/v1/orgs/${warmOrg}/roles`, { name: `dept-${d}`, permissions: ['bench.keep'], inherits: ['base'] })
    const people = ['flip-user', 'token-user', ...staleUsers, ...team]
    await Promise.all(people.map((id) => expectOk(writer, 'PUT', `/v1/users/${id}`, { email: `${id}@bench.example` })))
    for (const id of ['flip-user', 'token-user', ...staleUsers]) await expectOk(writer, 'PUT', `/v1/orgs/${small}/members/${id}`, { roles: ['plain'] })
    for (const id of team) await expectOk(writer, 'PUT', `/v1/orgs/${small}/members/${id}`, { roles: ['team'] })
    const t0 = performance.now()
    const inserted = await insertMembers(database!.url, large, largeUsers, () => 'everyone')
    const inserted2 = await insertMembers(database!.url, warmOrg, warmUsersIds, (i) => `dept-${i % 4}`)
    log(`  ${inserted} + ${inserted2} memberships by SQL in ${(performance.now() - t0).toFixed(0)} ms`)
    await waitForIdle([a.pid, b.pid, inv.pid], { timeoutMs: 30_000, threshold: 0.1 })
  })

  const settleShort = () => sleep(20).then(() => undefined)
  const settleIdle = (timeoutMs: number) => () => waitForIdle([a.pid, b.pid, inv.pid], { windowMs: 200, threshold: 0.3, timeoutMs }).then(() => undefined)
  const bClient = createJsonClient(b.url, { connections: 4 })
  const noWarmClient = createJsonClient(noWarm.url, { connections: 4 })
  const noWarmPoller = createFastClient(noWarm.url, { connections: 1 })
  const roleChange100 = async (grant: boolean) => (await expectOk(writer, 'PUT', `/v1/orgs/${small}/roles/team`, { permissions: grant ? [PERMISSION] : ['bench.other'] })).revision
  const cases: SeriesCase[] = [
    {
      key: 'membership',
      label: '(a) membership change',
      org: small,
      user: 'flip-user',
      write: async (grant) => (await expectOk(writer, 'PUT', `/v1/orgs/${small}/members/flip-user`, { roles: [grant ? 'granted' : 'plain'] })).revision,
      settle: settleShort,
    },
    {
      // Before (b), so that B has not read these members (it would warm them during this series).
      key: 'role100-nowarm',
      label: "(b′) as (b), polled replica with CACHE_WARM_WINDOW=0s",
      diagnostic: true,
      org: small,
      user: team[0]!,
      write: roleChange100,
      rewarm: async () => void (await warmUsers(noWarmClient, small, team, 100, 1)),
      settle: () => sleep(30).then(() => undefined),
    },
    {
      key: 'role100',
      label: '(b) role change, 100 members',
      org: small,
      user: team[0]!,
      write: roleChange100,
      rewarm: async () => void (await warmUsers(bClient, small, team, 100, 1)),
      settle: () => sleep(30).then(() => undefined),
    },
    {
      key: 'role10k',
      label: `(c) role change, ${count(config.largeMembers)} members`,
      org: large,
      user: largeUsers[largeUsers.length - 1]!,
      write: async (grant) => (await expectOk(writer, 'PUT', `/v1/orgs/${large}/roles/everyone`, { permissions: grant ? [PERMISSION] : ['bench.other'] })).revision,
      rewarm: async () => void (await warmUsers(bClient, large, [largeUsers[largeUsers.length - 1]!, ...largeUsers.slice(0, config.largeSample)], 100, 2)),
      settle: settleIdle(3_000),
    },
  ]
  for (const spec of cases) {
    const writes = spec.key === 'role10k' ? config.writesLarge : spec.diagnostic ? Math.max(2, Math.round(config.writes / 2)) : config.writes
    const target = spec.key === 'role100-nowarm' ? { ...ctx, b: noWarm, poller: noWarmPoller } : ctx
    await phase(`(1) ${spec.label}: ${writes} writes on A, ${target.b.name} polled without a token`, async () => {
      // Two writes first (not measured): the replica's marks for the organization exist, state "revoked".
      await spec.rewarm?.()
      for (const grant of [true, false]) {
        await spec.write(grant)
        await pollUntil(target.poller, checkBody(spec.org, spec.user, PERMISSION), grant, config.pollTimeoutMs)
        await spec.settle()
      }
      const result = await runDelaySeries(spec, writes, target)
      delays.push(result)
      log(
        `  B correct after p50 ${ms(result.delay.p50)}, p99 ${ms(result.delay.p99)}, max ${ms(result.delay.max)}; ` +
          `A's write ${ms(result.writeMs.p50)}; outbox row→JetStream ${ms(result.relayMs.p50)}, →Redis+fan-out ${ms(result.invalidatorMs.p50)}, →B's L1 ${ms(result.l1DropMs.p50)}`,
      )
      if (spec.key === 'role10k') {
        largeEvent = await newestEventSize(database!.url, large)
        const statsClient = createJsonClient(inv.url, { connections: 1 })
        invalidatorStats = (await statsClient.request('GET', '/v1/cache/stats')).body
        statsClient.close()
      }
    }, spec.label)
    if (spec.diagnostic) continue
    await phase(`(2) ${spec.label}: ${writes} writes on A, B checked at once with the write's revision`, async () => {
      const result = await runTokenSeries(spec, writes, { poller })
      tokens.push(result)
      log(`  stale without a token ${result.staleWithoutToken}/${writes}; stale with the token ${result.staleWithToken}, errors ${result.errors}`)
    })
  }

  await phase(`(3) seed system: B' with TTL expiry only (${config.seedTtl}), ${config.staleUsers} writes spread over one TTL`, async () => {
    ttl = await runTtlStaleness(writer, bPrime, small, staleUsers)
    log(`  B' answered the old state for p50 ${ms(ttl.window.p50)}, max ${ms(ttl.window.max)} after A's answer`)
  })
  await bPrime.stop()

  let grant = true
  for (const [label, target, window, reread] of [
    ['warming off', noWarm, '0s', false],
    ['warming on', b, '60s (default)', false],
    ['what-if: warming off + one batched re-read', noWarm, '0s', true],
  ] as const) {
    await phase(`(4) ${label}: Zipf ${config.zipfS} load over ${config.warmUsers} users, one role change reaching all of them`, async () => {
      await waitForIdle([a.pid, b.pid, inv.pid, noWarm.pid], { timeoutMs: 10_000, threshold: 0.15 })
      const result = await runWarming(label, window, target, writer, warmOrg, warmUsersIds, grant, reread)
      grant = !grant
      warming.push(result)
      log(
        `  ${count(result.rps)} req/s${result.rereadDoneMs === undefined ? '' : ` (re-read done after ${ms(result.rereadDoneMs)})`}; hit ratio before ${percent(result.hitRatioBefore)}, min ${(result.minHitRatio * 100).toFixed(1)}%; ` +
          `back to ≥ 99% after ${result.recoveryMs === undefined ? `> ${config.observeMs} ms` : ms(result.recoveryMs)}; warmed ${result.warmed}`,
      )
    }, `(4) ${label}`)
  }
  writer.close()
  poller.close()
  bClient.close()
  noWarmClient.close()
  noWarmPoller.close()
} catch (err) {
  failures.push(String((err as Error).stack ?? err))
  log(`benchmark failed: ${(err as Error).stack ?? err}`)
} finally {
  for (const child of children) await child.stop()
  for (const prefix of prefixes) await removeRedisKeys(redisUrl, prefix)
  await removeChangeStreams(natsUrl, [namespace, seedNamespace])
  if (database) {
    if (flags.keep) log(`database kept: ${database.url}`)
    else await database.drop().catch((err: unknown) => log(`could not drop ${database!.url}: ${(err as Error).message}`))
  }
}

// ---------------------------------------------------------------------------------------------
// The report

const pass = (ok: boolean | undefined) => (ok === undefined ? 'NOT RUN' : ok ? 'PASS' : 'MISS')
const goalFor = (key: string) => (key.startsWith('(c)') ? config.targets.largeP99Ms : config.targets.smallP99Ms)
const cores = (x: number | undefined) => (x === undefined ? '-' : x.toFixed(2))
const bytes = (n: number | undefined) => (n === undefined ? '-' : `${count(n)} B`)

const delayTable = markdownTable(
  ['case', 'writes', 'p50', 'p99', 'max', 'mean', 'polls/write p50', 'A write p50', 'target (p99)', 'result'],
  delays.map((d) => [
    d.case,
    String(d.writes),
    ms(d.delay.p50),
    ms(d.delay.p99),
    ms(d.delay.max),
    ms(d.delay.mean),
    count(d.pollsPerWrite.p50),
    ms(d.writeMs.p50),
    d.diagnostic ? '-' : `< ${count(goalFor(d.case))} ms`,
    d.diagnostic ? '(diagnostic)' : d.timeouts > 0 ? `MISS (${d.timeouts} timeouts)` : pass(d.delay.p99 < goalFor(d.case)),
  ]),
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
)

const p50p99 = (x: Summary) => `${ms(x.p50)} / ${ms(x.p99)}`
const stageTable = markdownTable(
  ['case', 'A write (request)', 'outbox row → in JetStream, row marked (A relay) p50 / p99', 'outbox row → Redis + fan-out (invalidator) p50 / p99 / max', 'outbox row → B L1 drop p50 / p99 / max', 'A answer → B correct p50 / p99', 'unattributed'],
  delays.map((d) => [
    d.case,
    p50p99(d.writeMs),
    p50p99(d.relayMs),
    `${p50p99(d.invalidatorMs)} / ${ms(d.invalidatorMs.max)}`,
    `${p50p99(d.l1DropMs)} / ${ms(d.l1DropMs.max)}`,
    p50p99(d.delay),
    String(d.unattributed),
  ]),
)

const probeCell = (x: ProbeStats | undefined) => (x ? `${ms(x.p50)} / ${ms(x.p99)} / ${ms(x.max)} (${x.over10ms}/${x.n})` : '-')
const probeTable = markdownTable(
  ['part', 'Redis PING', 'PostgreSQL SELECT 1', 'NATS round trip', 'timer lateness'],
  Object.entries(probesByPhase).map(([name, p]) => [name, probeCell(p.redis), probeCell(p.postgres), probeCell(p.nats), probeCell(p.timerLateness)]),
)

const signed = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '-' : x < 0 ? `−${ms(-x)}` : `+${ms(x)}`)
const clockTable = markdownTable(
  ['case', 'outbox row written (≈ commit)', 'in JetStream, row marked', 'Redis applied + fan-out sent', 'dropped from B L1', 'B answers the new state', 'B: L1 drop → correct answer p50 / p99 / max'],
  delays.map((d) => {
    const a = d.afterAnswer
    const both = (x: Summary) => `${signed(x.p50)} / ${signed(x.p99)}`
    return [d.case, both(a.txStart), both(a.published), both(a.invalidator), both(a.l1Drop), both(a.correct), `${ms(d.recomputeMs.p50)} / ${ms(d.recomputeMs.p99)} / ${ms(d.recomputeMs.max)}`]
  }),
)

const slowest = (d: DelaySeries, k: number) =>
  [...d.raw]
    .sort((x, y) => y.delayMs - x.delayMs)
    .slice(0, k)
    .map((r) => {
      const rel = (stage: number | undefined) => (r.txStartWall === undefined || stage === undefined ? undefined : r.txStartWall + stage - r.answeredWall)
      return [
        d.case,
        r.revision,
        ms(r.writeMs),
        signed(r.txStartWall === undefined ? undefined : r.txStartWall - r.answeredWall),
        signed(r.publishedWall === undefined ? undefined : r.publishedWall - r.answeredWall),
        signed(rel(r.invalidatorMs)),
        signed(rel(r.l1DropMs)),
        signed(r.delayMs),
        String(r.polls),
      ]
    })
const slowTable = markdownTable(
  ['case', 'revision', 'A write', 'outbox row', 'in JetStream, marked', 'Redis + fan-out', 'B L1 drop', 'B correct', 'polls'],
  delays.flatMap((d) => slowest(d, d.case.startsWith('(c)') ? 3 : 5)),
)

const cpuTable = markdownTable(
  ['case', 'seconds', 'machine busy (cores of 2)', 'A', 'B', 'invalidator', 'postgres', 'bench (poller)', 'load average at end'],
  delays.map((d) => [d.case, d.seconds.toFixed(1), cores(d.cpu.machine), cores(d.cpu.a), cores(d.cpu.b), cores(d.cpu.invalidator), cores(d.cpu.postgres), cores(d.cpu.bench), d.loadAverage.join(' ')]),
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
)

const tokenTable = markdownTable(
  ['case', 'writes', 'stale without token (checked right after A answered)', 'stale with atLeastRevision', 'errors', 'token check p50 / p99', 'target', 'result'],
  tokens.map((t) => [t.case, String(t.writes), `${t.staleWithoutToken} (${percent(t.staleWithoutToken / t.writes)})`, String(t.staleWithToken), String(t.errors), `${ms(t.tokenCheckMs.p50)} / ${ms(t.tokenCheckMs.p99)}`, '0 stale', pass(t.staleWithToken === 0 && t.errors === 0)]),
  ['l', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
)

const membership = delays.find((d) => d.case.startsWith('(a)'))
const ttlTable = markdownTable(
  ['system', 'writes', 'stale window p50', 'stale window max', 'bound'],
  [
    ...(ttl
      ? [[`seed system: TTL expiry only, TTL ${config.seedTtl} (B', measured)`, String(ttl.writes), ms(ttl.window.p50), ms(ttl.window.max), `≤ TTL (${count(ttl.ttlMs)} ms): ${ttl.raw.every((r) => !r.timedOut && r.windowMs <= ttl!.ttlMs + 250) ? 'as expected' : 'exceeded'}`]]
      : [[`seed system, TTL ${config.seedTtl}`, '-', '-', '-', 'not run']]),
    ['seed system at its TTL of 15 min (CACHE_TTL_USER_PERMISSIONS default)', '-', '≈ 7.5 min (uniform write time)', 'up to 15 min', 'TTL (not measured: scales with the TTL)'],
    ...(membership ? [[`Latchkey B with the invalidator, (a) membership change`, String(membership.writes), ms(membership.delay.p50), ms(membership.delay.max), 'event-driven']] : []),
  ],
  ['l', 'r', 'r', 'r', 'l'],
)

const warmTable = markdownTable(
  ['run', 'CACHE_WARM_WINDOW', 'load req/s', 'check p99 / max: 1 s before', '2 s after (answers)', 'hit ratio before', 'lowest 100 ms window', 'first window < 99% ends', 'back to ≥ 99% after', 'misses after', 'warmed entries (done after)', 'target', 'result'],
  warming.map((w) => [
    w.label,
    w.warmWindow,
    count(w.rps),
    `${ms(w.latencyBefore.p99)} / ${ms(w.latencyBefore.max)}`,
    `${ms(w.latencyAfter.p99)} / ${ms(w.latencyAfter.max)} (${count(w.latencyAfter.answers)})`,
    `${(w.hitRatioBefore * 100).toFixed(2)}%`,
    `${(w.minHitRatio * 100).toFixed(1)}%`,
    w.dipWindowEndMs === undefined ? '-' : ms(w.dipWindowEndMs),
    w.recoveryMs === undefined ? `not within ${count(config.observeMs)} ms` : ms(w.recoveryMs),
    count(w.missesAfter),
    `${count(w.warmed)}${w.warmingDoneMs === undefined ? '' : ` (${ms(w.warmingDoneMs)})`}`,
    w.rereadDoneMs !== undefined ? `(what-if; re-read done +${ms(w.rereadDoneMs)})` : w.warmWindow === '0s' ? '(comparison)' : `< ${count(config.targets.warmRecoveryMs)} ms`,
    w.warmWindow === '0s' ? '-' : pass(w.recoveryMs !== undefined && w.recoveryMs < config.targets.warmRecoveryMs),
  ]),
  ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l', 'l'],
)

const timeline = (w: WarmingResult) =>
  w.windows
    .filter((x) => x.endMs > -300 && x.endMs < Math.min(config.observeMs, Math.max(2_000, (w.recoveryMs ?? config.observeMs) + 300)))
    .map((x) => `${x.endMs.toFixed(0)}:${(x.hitRatio * 100).toFixed(1)}%/${x.lookups}${w.warmed > 0 ? `/w${x.warmed}` : ''}`)
    .join(' ')

let compressionTable = ''
if (compression) {
  const c = compression
  const types = [...new Set([...Object.keys(c.compressed), ...Object.keys(c.uncompressed)])].sort()
  const rows = types.map((type) => {
    const on = c.compressed[type]
    const off = c.uncompressed[type]
    const saved = on && off ? off.valueBytes - on.valueBytes : undefined
    return [
      type,
      `${on?.keys ?? 0} / ${off?.keys ?? 0}`,
      `${on?.compressed ?? 0}`,
      bytes(on?.valueBytes),
      bytes(off?.valueBytes),
      saved === undefined ? '-' : `${bytes(saved)} (${percent(saved / Math.max(1, off!.valueBytes))})`,
      bytes(on?.memoryBytes),
      bytes(off?.memoryBytes),
      on && off ? `${bytes(off.memoryBytes - on.memoryBytes)} (${percent((off.memoryBytes - on.memoryBytes) / Math.max(1, off.memoryBytes))})` : '-',
    ]
  })
  const total = (which: Record<string, TypeCensus>, f: (x: TypeCensus) => number) => Object.entries(which).filter(([t]) => t !== 'marks').reduce((s, [, x]) => s + f(x), 0)
  const [von, voff, mon, moff] = [total(c.compressed, (x) => x.valueBytes), total(c.uncompressed, (x) => x.valueBytes), total(c.compressed, (x) => x.memoryBytes), total(c.uncompressed, (x) => x.memoryBytes)]
  rows.push(['all entries', '', '', bytes(von), bytes(voff), `${bytes(voff - von)} (${percent((voff - von) / Math.max(1, voff))})`, bytes(mon), bytes(moff), `${bytes(moff - mon)} (${percent((moff - mon) / Math.max(1, moff))})`])
  compressionTable = markdownTable(
    ['cache type', 'keys (1024 / 0)', 'stored deflated', 'value bytes, 1024', 'value bytes, 0', 'saved (STRLEN)', 'MEMORY USAGE, 1024', 'MEMORY USAGE, 0', 'saved (MEMORY USAGE)'],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  )
}

const large = delays.find((d) => d.case.startsWith('(c)'))
const stats = invalidatorStats as { invalidations?: { delayMs?: { p50: number; p99: number; max: number; samples: number } } } | undefined
const report = [
  `## Invalidation benchmark (${new Date().toISOString()})`,
  '',
  `Node ${env.node}, ${env.cpus} CPUs (${env.cpuModel}), commit ${String(env.commit ?? '?').slice(0, 10)}${env.dirty ? ' with local changes' : ''}${quick ? ', --quick' : ''}. ` +
    `Load average at the start ${(env.loadAverage as number[]).map((x) => x.toFixed(2)).join(' ')}, at the end ${loadAverage().join(' ')} (other work shares the machine: the figures are noisy). ` +
    `A, B and the invalidator are separate processes sharing one database, Redis prefix and NATS namespace; A's relay publishes (${relayLeader === 'A' ? 'A held the relay lock' : 'relay leader not confirmed'}). ` +
    `B is polled back to back on one keep-alive connection from this process; "A answer → B correct" is the time from A's answer to the write to B's first answer of the new state, without a token.`,
  '',
  '### (1) Propagation to another replica, no token',
  '',
  delayTable,
  '',
  'Where the time goes, per write (each stage read from the processes\' own histograms before and after every write, one event each; their "commit" is the outbox row\'s `created_at`, which Prisma Client sets when it sends the INSERT, just before COMMIT):',
  '',
  stageTable,
  '',
  "The same stages on one clock, in ms after A's answer to the write (p50 / p99; PostgreSQL's outbox timestamps and the processes' histograms, aligned on this machine's wall clock, 1 ms resolution):",
  '',
  clockTable,
  '',
  'The slowest writes of each case:',
  '',
  slowTable,
  '',
  'CPU during each delay series (cores; the machine has 2, and other work was running):',
  '',
  cpuTable,
  '',
  "The shared servers and the machine during each part (probed from this process every 20 ms, one request at a time: Redis PING, PostgreSQL SELECT 1, NATS PING/PONG; timer lateness: how late a 20 ms timer fired here, i.e. how long a runnable process waited for a CPU; during (4) this process also generates the load, which inflates its own figures). p50 / p99 / max, and samples over 10 ms:",
  '',
  probeTable,
  '',
  large
    ? `(c) used ${config.writesLarge} writes (each reaching ${count(config.largeMembers)} members; ${count(config.largeSample)} of them and the polled one cached on B before each). ` +
      `Its change event is ${largeEvent ? `${count(largeEvent.bytes)} bytes of JSON in the outbox (${count(largeEvent.entries)} invalidated keys)` : 'of unknown size'}; NATS max_payload is ${maxPayload === undefined ? 'unknown' : `${count(maxPayload)} bytes`}. ` +
      `The invalidator's GET /v1/cache/stats after (c): invalidation delay p50 ${ms(stats?.invalidations?.delayMs?.p50)}, p99 ${ms(stats?.invalidations?.delayMs?.p99)}, max ${ms(stats?.invalidations?.delayMs?.max)} over its last ${stats?.invalidations?.delayMs?.samples ?? '?'} events (all cases); for (c) alone, per event: outbox row → Redis applied + fan-out sent (latchkey_cache_invalidation_apply_seconds) p50 ${ms(large.invalidatorMs.p50)}, max ${ms(large.invalidatorMs.max)}; outbox row → dropped from B's L1 (latchkey_cache_invalidation_delay_seconds) p50 ${ms(large.l1DropMs.p50)}, max ${ms(large.l1DropMs.max)}; ` +
      `the invalidator's own part (row in JetStream → Redis applied + fan-out sent) p50 ${ms(summarize(large.raw.filter((r) => r.txStartWall !== undefined && r.invalidatorMs !== undefined && r.publishedWall !== undefined).map((r) => r.txStartWall! + r.invalidatorMs! - Math.min(r.publishedWall!, r.txStartWall! + r.invalidatorMs!))).p50)} (a lower bound: the row is marked only after JetStream's acknowledgement and an UPDATE).`
    : '',
  '',
  '### (2) With a token: never stale',
  '',
  tokenTable,
  '',
  '### (3) The seed system: TTL expiry only',
  '',
  ttlTable,
  '',
  ttl
    ? `B' (TARGET=permission, NATS_NAMESPACE of its own so no fan-out reaches it, CACHE_L2_ENABLED=false, CACHE_TTL_USER_PERMISSIONS=CACHE_TTL_ORGANIZATION=${config.seedTtl}): each user's entry was filled, then the user's membership changed on A at an offset spread over one TTL (${ttl.raw.map((r) => `${(r.offsetMs / 1000).toFixed(1)} s→${(r.windowMs / 1000).toFixed(2)} s`).join(', ')}). The stale window is the entry's remaining TTL: up to the TTL itself; at the seed's 15-minute TTL a change can go unseen for up to 15 minutes.`
    : '',
  '',
  '### (4) Cache warming after a role change reaching every user under load',
  '',
  warmTable,
  '',
  warming.length > 0
    ? `Zipf s=${config.zipfS} over ${count(config.warmUsers)} users of one organization (the top 20 users get ${percent(warming[0]!.topShare.top20)} of the checks, the top 200 ${percent(warming[0]!.topShare.top200)}), ${config.loadConnections} concurrent requests from this process (closed loop: a stalled check holds its connection, so throughput falls with latency); L1 hit ratio of user_permissions lookups per ~100 ms scrape of /metrics (latchkey_cache_requests_total); "back to ≥ 99%" is the end of the last window below 99% (windows with < 20 lookups ignored), from A's answer. Timelines (end of each window in ms after A's answer: hit ratio/lookups[/entries warmed so far]):\n` +
      warming.map((w) => `- ${w.label}: ${timeline(w)}`).join('\n')
    : '',
  '',
  '### (5) Compression in Redis',
  '',
  compression
    ? `Seed plan ${config.sizes.orgs} orgs / ${config.sizes.roles} roles / ${config.sizes.permissions} permissions / ${count(config.sizes.users)} users (seed ${config.seed}) through A; its largest organization ${compression.org} (${compression.members} members, ${compression.roles} roles): its role list and the ${compression.broadestUsers} broadest members' permissions (the broadest holds ${compression.broadestPermissions}) read through an instance with CACHE_COMPRESS_ABOVE=1024 and one with 0 (own Redis prefixes). Answers identical: ${compression.identicalAnswers ? 'yes' : 'NO'}. latchkey_cache_compression_saved_bytes_total on the 1024 instance: ${bytes(compression.savedBytesMetric)}.\n\n${compressionTable}`
    : 'not run',
  '',
  failures.length > 0 ? `### Failures\n\n${failures.map((f) => `- ${f.split('\n')[0]}`).join('\n')}` : '',
].join('\n')

process.stdout.write(`${report}\n`)
const file = writeResults(config.out, {
  environment: env,
  config,
  loadAverageAtEnd: loadAverage(),
  phaseLoadAverage: phaseLoad,
  relayLeader,
  natsMaxPayload: maxPayload,
  seed: seedSummary,
  propagation: delays,
  tokens,
  largeEvent,
  invalidatorStats,
  ttl,
  warming,
  compression,
  targets: {
    propagation: delays.filter((d) => !d.diagnostic).map((d) => ({ case: d.case, p99Ms: d.delay.p99, goalMs: goalFor(d.case), result: d.timeouts > 0 ? 'MISS' : pass(d.delay.p99 < goalFor(d.case)) })),
    tokens: tokens.map((t) => ({ case: t.case, stale: t.staleWithToken, errors: t.errors, result: pass(t.staleWithToken === 0 && t.errors === 0) })),
    warming: warming
      .filter((w) => w.warmWindow !== '0s')
      .map((w) => ({ recoveryMs: w.recoveryMs, goalMs: config.targets.warmRecoveryMs, result: pass(w.recoveryMs !== undefined && w.recoveryMs < config.targets.warmRecoveryMs) })),
  },
  failures,
  elapsedSec: (performance.now() - started) / 1000,
})
log(`\nresults written to ${file} (${((performance.now() - started) / 1000).toFixed(0)} s in all)`)
process.exit(0)
