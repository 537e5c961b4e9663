import type { Histogram, Meter } from '@opentelemetry/api'
import type { Log } from '@latchkey/logger'
import type { CacheType, Revisioned } from './cache-types.ts'
import { CacheStats } from './cache-stats.ts'
import type { MemoryTier } from './memory-tier.ts'
import type { RedisTier } from './redis-tier.ts'

export class RevisionNotReachedError extends Error {}

export interface TieredCacheOptions {
  l1?: MemoryTier
  l2?: RedisTier
  prefix: string
  meter: Meter
  log: Log
}

/** An entry to drop: its cache type's name and its id within the partition. */
export interface CacheKey {
  type: string
  id: string
}

/**
 * What one write to a partition made stale: the entries to drop (or the whole partition), and
 * the revision the write created. Every write to an organization produces exactly one.
 */
export interface Invalidation {
  partition: string
  revision: number
  entries: CacheKey[] | 'all'
}

/**
 * L1 (in-process) in front of L2 (Redis) in front of the source (PostgreSQL). Every value is
 * tied to the revision of its partition (the organization) that it was computed at:
 * - a read may demand a minimum revision (a consistency token) and is never answered older;
 * - concurrent misses for one key share one load (request coalescing);
 * - a fill computed before an invalidation that was already applied is refused (no stale fill).
 */
export class TieredCache {
  readonly stats = new CacheStats()
  private readonly inflight = new Map<string, Promise<Revisioned<unknown>>>()
  private readonly loadDuration: Histogram

  constructor(private readonly options: TieredCacheOptions) {
    this.loadDuration = options.meter.createHistogram('latchkey_cache_load_duration_seconds', {
      unit: 's',
      description: 'Time to fetch a cache entry from L2 (Redis) or to compute it from the source (PostgreSQL)',
      advice: { explicitBucketBoundaries: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] },
    })
    this.stats.observe(options.meter, () => options.l1?.sizeByType() ?? new Map())
  }

  get enabled(): boolean {
    return this.options.l1 !== undefined || this.options.l2 !== undefined
  }

  key(type: string, partition: string, id: string): string {
    return `${this.options.prefix}${type}:${partition}:${id}`
  }

  /**
   * The value of `id` in `partition`, current at least as of `minRevision`. `load` computes it
   * from the source together with the partition's revision read in the same snapshot.
   */
  async get<T>(
    type: CacheType<T>,
    partition: string,
    id: string,
    load: () => Promise<Revisioned<T>>,
    minRevision = 0,
  ): Promise<Revisioned<T>> {
    const key = this.key(type.name, partition, id)
    const counts = this.stats.forType(type.name)
    const l1 = this.options.l1
    if (l1) {
      const hit = l1.read(key, partition)
      if (hit !== undefined && hit.revision >= minRevision) {
        counts.l1.hits++
        return hit as Revisioned<T>
      }
      counts.l1.misses++
    }
    const pending = this.inflight.get(key) as Promise<Revisioned<T>> | undefined
    if (pending) {
      const shared = await pending
      if (shared.revision >= minRevision) return shared
    }
    const fetching = this.fetch(type, partition, id, key, load, minRevision)
    this.inflight.set(key, fetching)
    try {
      return await fetching
    } finally {
      if (this.inflight.get(key) === fetching) this.inflight.delete(key)
    }
  }

  private async fetch<T>(
    type: CacheType<T>,
    partition: string,
    id: string,
    key: string,
    load: () => Promise<Revisioned<T>>,
    minRevision: number,
  ): Promise<Revisioned<T>> {
    const counts = this.stats.forType(type.name)
    const l2 = this.options.l2
    if (l2?.available) {
      const started = performance.now()
      const found = await l2.read(key, partition).catch((err) => {
        this.options.log.debug({ err }, 'L2 read failed; treating as a miss')
        return undefined
      })
      this.loadDuration.record((performance.now() - started) / 1000, { 'cache.type': type.name, 'cache.level': 'l2' })
      // An entry older than an invalidation this process has already applied may be one that
      // Redis has not dropped yet (the invalidator is a few milliseconds behind): skip it.
      const seenHere = this.options.l1?.watermarks.seen(partition) ?? 0
      if (found !== undefined && found.revision >= minRevision && found.revision >= seenHere) {
        counts.l2.hits++
        const value = type.decode(found.text)
        this.options.l1?.fill(key, partition, type.name, value, found.revision, found.text.length, type.ttlMs)
        return { value, revision: found.revision }
      }
      counts.l2.misses++
    }
    const started = performance.now()
    const loaded = await load()
    this.loadDuration.record((performance.now() - started) / 1000, { 'cache.type': type.name, 'cache.level': 'source' })
    if (loaded.revision < minRevision) throw new RevisionNotReachedError(`${partition} is at revision ${loaded.revision}`)
    const l1 = this.options.l1
    if (l1 || l2) {
      const text = type.encode(loaded.value)
      l1?.fill(key, partition, type.name, loaded.value, loaded.revision, text.length, type.ttlMs)
      if (l2?.available) {
        await l2.fill(key, partition, text, loaded.revision, type.ttlMs).catch((err) => {
          this.options.log.debug({ err }, 'L2 fill failed')
        })
      }
    }
    return loaded
  }

  /** Applies an invalidation to this process's L1 and to Redis (what a writer does after its commit). */
  async invalidate(invalidation: Invalidation): Promise<void> {
    this.invalidateLocal(invalidation)
    const l2 = this.options.l2
    if (!l2) return
    await l2.invalidate(invalidation.partition, this.fullKeys(invalidation), invalidation.revision).catch((err) => {
      this.options.log.warn({ err: { message: (err as Error).message }, partition: invalidation.partition }, 'L2 invalidation failed; L2 is bypassed until Redis is flushed')
    })
  }

  /** Applies an invalidation to this process's L1 only (what the invalidator's fan-out asks). */
  invalidateLocal(invalidation: Invalidation): void {
    this.options.l1?.invalidate(invalidation.partition, this.fullKeys(invalidation), invalidation.revision)
  }

  /** Applies an invalidation to Redis only (the invalidator's job); throws when Redis fails. */
  async invalidateShared(invalidation: Invalidation): Promise<void> {
    await this.options.l2?.invalidate(invalidation.partition, this.fullKeys(invalidation), invalidation.revision)
  }

  /** Drops every L1 entry and mark (after invalidations may have been missed). */
  clearLocal(): void {
    this.options.l1?.clear()
  }

  /** While invalidations cannot reach this process, serve nothing older than `maxAgeMs` from L1. */
  limitLocalAge(maxAgeMs: number | undefined): void {
    this.options.l1?.limitAge(maxAgeMs)
  }

  /** Entries and estimated bytes per cache type in this process's L1. */
  localSizes(): Map<string, { entries: number; bytes: number }> {
    return this.options.l1?.sizeByType() ?? new Map()
  }

  /** The Redis tier, when there is one (for statistics). */
  get sharedTier(): RedisTier | undefined {
    return this.options.l2
  }

  get hasLocalTier(): boolean {
    return this.options.l1 !== undefined
  }

  private fullKeys(invalidation: Invalidation): string[] | undefined {
    if (invalidation.entries === 'all') return undefined
    return invalidation.entries.map((entry) => this.key(entry.type, invalidation.partition, entry.id))
  }
}
