// The shared servers' responsiveness while a benchmark runs: Redis PING, PostgreSQL `SELECT 1`,
// a NATS round trip (flush: PING/PONG), and how late a timer fires in this process (the time a
// runnable process waits for a CPU on a busy machine). Each probe runs every `intervalMs`, one at
// a time, so it adds almost no load.
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { Redis } from 'ioredis'
import pg from 'pg'
import { quantile } from './stats.ts'

export interface ProbeStats {
  n: number
  p50: number
  p99: number
  max: number
  /** Samples above 10 ms. */
  over10ms: number
}

export interface ProbeSummary {
  redis?: ProbeStats
  postgres?: ProbeStats
  nats?: ProbeStats
  timerLateness?: ProbeStats
}

const stats = (values: number[]): ProbeStats | undefined => {
  if (values.length === 0) return undefined
  const sorted = Float64Array.from(values).sort()
  return { n: values.length, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), max: sorted[sorted.length - 1]!, over10ms: values.filter((v) => v > 10).length }
}

export async function startProbes(options: { redisUrl: string; databaseUrl: string; natsUrl: string; intervalMs?: number }): Promise<{ stop(): Promise<ProbeSummary> }> {
  const interval = options.intervalMs ?? 20
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
  let stopped = false
  const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 })
  const client = new pg.Client({ connectionString: options.databaseUrl })
  let nc: NatsConnection | undefined
  await Promise.all([
    redis.connect().catch(() => undefined),
    client.connect().catch(() => undefined),
    connect({ servers: options.natsUrl, timeout: 2_000 }).then((c) => (nc = c), () => undefined),
  ])
  const samples = { redis: [] as number[], postgres: [] as number[], nats: [] as number[], timerLateness: [] as number[] }
  const loop = async (into: number[], op: () => Promise<unknown>) => {
    while (!stopped) {
      const t0 = performance.now()
      try {
        await op()
        into.push(performance.now() - t0)
      } catch {
        // Not reachable: no sample.
      }
      await sleep(interval)
    }
  }
  const loops = [
    loop(samples.redis, () => redis.ping()),
    loop(samples.postgres, () => client.query('SELECT 1')),
    ...(nc ? [loop(samples.nats, () => nc!.flush())] : []),
    (async () => {
      while (!stopped) {
        const expected = performance.now() + interval
        await sleep(interval)
        samples.timerLateness.push(Math.max(0, performance.now() - expected))
      }
    })(),
  ]
  return {
    async stop() {
      stopped = true
      await Promise.all(loops)
      redis.disconnect()
      await client.end().catch(() => {})
      await nc?.close().catch(() => {})
      const out: ProbeSummary = {}
      for (const [name, values] of Object.entries(samples) as [keyof ProbeSummary, number[]][]) {
        const s = stats(values)
        if (s) out[name] = s
      }
      return out
    },
  }
}
