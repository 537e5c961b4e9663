import type { HttpServer } from '@latchkey/http'
import type { TieredCache } from '@latchkey/cache'
import Type from 'typebox'
import type { InvalidationConsumer } from './invalidation-consumer.ts'
import type { L1StatsCollector } from './l1-stats-collector.ts'
import { redisCensus } from './redis-census.ts'

const Counts = Type.Object({ hits: Type.Integer(), misses: Type.Integer(), hitRatio: Type.Number() })
const Size = Type.Object({ entries: Type.Integer(), bytes: Type.Integer() })
const CacheStats = Type.Object({
  l2: Type.Object({
    available: Type.Boolean(),
    types: Type.Record(Type.String(), Type.Object({ ...Size.properties, partial: Type.Boolean(), ...Counts.properties })),
  }),
  l1: Type.Object({
    replicas: Type.Integer({ description: 'Processes that reported their L1 in the last 30 s' }),
    types: Type.Record(Type.String(), Type.Object({ ...Size.properties, ...Counts.properties })),
    byReplica: Type.Array(Type.Object({ replica: Type.String(), pid: Type.Integer(), reportedAt: Type.String(), types: Type.Record(Type.String(), Type.Object({ ...Size.properties, ...Counts.properties })) })),
  }),
  invalidations: Type.Object({
    events: Type.Integer(),
    entries: Type.Integer(),
    partitions: Type.Integer(),
    failures: Type.Integer(),
    delayMs: Type.Object({ p50: Type.Number(), p99: Type.Number(), max: Type.Number(), samples: Type.Integer() }),
  }),
})

const ratio = (hits: number, misses: number) => (hits + misses === 0 ? 0 : hits / (hits + misses))
const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!)

/**
 * `GET /v1/cache/stats`: the platform's caches seen from the invalidator. L2 sizes are counted in
 * Redis; hits and misses (L1 and L2) are as the replicas report them.
 */
export function statsRoute(server: HttpServer, deps: { cache: TieredCache; collector: L1StatsCollector; consumer: InvalidationConsumer }): void {
  server.get('/v1/cache/stats', { schema: { tags: ['cache'], summary: "The platform's caches: L2 in Redis, L1 as the replicas report it, invalidations", response: { 200: CacheStats } } }, async () => {
    const reports = deps.collector.current()
    const l1: Record<string, { entries: number; bytes: number; hits: number; misses: number; hitRatio: number }> = {}
    const l2Counts: Record<string, { hits: number; misses: number }> = {}
    const byReplica = reports.map((report) => {
      const types: typeof l1 = {}
      const names = new Set([...Object.keys(report.stats), ...Object.keys(report.sizes)])
      for (const type of names) {
        const counts = report.stats[type]
        const size = report.sizes[type] ?? { entries: 0, bytes: 0 }
        types[type] = { ...size, hits: counts?.l1.hits ?? 0, misses: counts?.l1.misses ?? 0, hitRatio: counts?.l1.hitRatio ?? 0 }
        const total = (l1[type] ??= { entries: 0, bytes: 0, hits: 0, misses: 0, hitRatio: 0 })
        total.entries += size.entries
        total.bytes += size.bytes
        total.hits += types[type].hits
        total.misses += types[type].misses
        total.hitRatio = ratio(total.hits, total.misses)
        const shared = (l2Counts[type] ??= { hits: 0, misses: 0 })
        shared.hits += counts?.l2.hits ?? 0
        shared.misses += counts?.l2.misses ?? 0
      }
      return { replica: report.replica, pid: report.pid, reportedAt: new Date(report.at).toISOString(), types }
    })
    const tier = deps.cache.sharedTier
    const l2: Record<string, { entries: number; bytes: number; partial: boolean; hits: number; misses: number; hitRatio: number }> = {}
    if (tier?.available) {
      for (const [type, census] of await redisCensus(tier.client, tier.prefix, { maxKeys: 200_000, sampleEvery: 50 })) {
        const counts = l2Counts[type] ?? { hits: 0, misses: 0 }
        l2[type] = { ...census, ...counts, hitRatio: ratio(counts.hits, counts.misses) }
      }
    }
    const delays = [...deps.consumer.recentDelaysMs].sort((a, b) => a - b)
    return {
      l2: { available: tier?.available ?? false, types: l2 },
      l1: { replicas: reports.length, types: l1, byReplica },
      invalidations: {
        ...deps.consumer.totals,
        delayMs: { p50: percentile(delays, 0.5), p99: percentile(delays, 0.99), max: delays.at(-1) ?? 0, samples: delays.length },
      },
    }
  })
}
