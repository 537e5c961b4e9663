import type { Meter } from '@opentelemetry/api'

export type CacheLevel = 'l1' | 'l2'

interface Counts {
  hits: number
  misses: number
}

/**
 * Hit and miss counts per cache type and level, kept as plain numbers on the hot path (an L1 hit
 * must cost well under two microseconds) and read by Prometheus through observable counters.
 */
export class CacheStats {
  private readonly counts = new Map<string, Record<CacheLevel, Counts>>()

  forType(type: string): Record<CacheLevel, Counts> {
    let counts = this.counts.get(type)
    if (!counts) {
      counts = { l1: { hits: 0, misses: 0 }, l2: { hits: 0, misses: 0 } }
      this.counts.set(type, counts)
    }
    return counts
  }

  snapshot(): Record<string, Record<CacheLevel, Counts & { hitRatio: number }>> {
    const out: Record<string, Record<CacheLevel, Counts & { hitRatio: number }>> = {}
    for (const [type, levels] of this.counts) {
      const ratio = (c: Counts) => (c.hits + c.misses === 0 ? 0 : c.hits / (c.hits + c.misses))
      out[type] = { l1: { ...levels.l1, hitRatio: ratio(levels.l1) }, l2: { ...levels.l2, hitRatio: ratio(levels.l2) } }
    }
    return out
  }

  observe(meter: Meter, l1Size: () => Map<string, { entries: number; bytes: number }>): void {
    const requests = meter.createObservableCounter('latchkey_cache_requests', {
      description: 'Cache lookups by cache type, level (l1 in-process, l2 Redis) and result (hit, miss)',
    })
    const entries = meter.createObservableGauge('latchkey_cache_entries', { description: 'Entries held in the in-process L1 cache' })
    const bytes = meter.createObservableGauge('latchkey_cache_size_bytes', { unit: 'By', description: 'Estimated bytes held in the in-process L1 cache' })
    meter.addBatchObservableCallback(
      (result) => {
        for (const [type, levels] of this.counts) {
          for (const level of ['l1', 'l2'] as const) {
            result.observe(requests, levels[level].hits, { 'cache.type': type, 'cache.level': level, 'cache.result': 'hit' })
            result.observe(requests, levels[level].misses, { 'cache.type': type, 'cache.level': level, 'cache.result': 'miss' })
          }
        }
        for (const [type, size] of l1Size()) {
          result.observe(entries, size.entries, { 'cache.type': type, 'cache.level': 'l1' })
          result.observe(bytes, size.bytes, { 'cache.type': type, 'cache.level': 'l1' })
        }
      },
      [requests, entries, bytes],
    )
  }
}
