import type { Histogram, Meter } from '@opentelemetry/api'
import type { Log } from '@latchkey/logger'
import type { CacheType, Revisioned } from './cache-types.ts'
import { CacheStats } from './cache-stats.ts'
import { L2Codec } from './l2-codec.ts'
import type { HotEntry, MemoryTier } from './memory-tier.ts'
import type { RedisTier } from './redis-tier.ts'

export class RevisionNotReachedError extends Error {}

export interface TieredCacheOptions {
  l1?: MemoryTier
  l2?: RedisTier
  meter: Meter
  log: Log
  /** Values larger than this are compressed in Redis (0: never). */
  compressAboveBytes?: number
  /**
   * Entries read within this window are computed again in the background after an invalidation
   * drops them (0: no warming).
   */
  warmWindowMs?: number
}

/**
 * Computes entries of one partition from the source, with the partition's revision read in the
 * same snapshot (one query for many ids): what warming calls, registered per cache type.
 */
export type BatchLoad<T> = (partition: string, ids: string[]) => Promise<{ revision: number; values: Map<string, T> }>

interface Warmer {
  type: CacheType<unknown>
  load: BatchLoad<unknown>
}

// Warming takes the hottest entries first, a partition's entries together: one Redis round trip
// and one source query per batch rather than per entry, a few batches at a time.
const warmConcurrency = 4
const warmBatch = 250

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
  private readonly codec: L2Codec
  private readonly warmers = new Map<string, Warmer>()
  private readonly warmQueue = new Map<string, HotEntry>()
  private warming = 0
  readonly warmed = { entries: 0, failures: 0 }

  constructor(private readonly options: TieredCacheOptions) {
    this.loadDuration = options.meter.createHistogram('latchkey_cache_load_duration_seconds', {
      unit: 's',
      description: 'Time to fetch a cache entry from L2 (Redis) or to compute it from the source (PostgreSQL)',
      advice: { explicitBucketBoundaries: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] },
    })
    this.stats.observe(options.meter, () => options.l1?.sizeByType() ?? new Map())
    this.codec = new L2Codec(options.compressAboveBytes ?? 0)
    options.meter
      .createObservableCounter('latchkey_cache_compression_saved_bytes', { unit: 'By', description: 'Bytes not written to Redis thanks to compression' })
      .addCallback((result) => result.observe(this.codec.savedBytes))
    options.meter
      .createObservableCounter('latchkey_cache_warmed_entries', { description: 'Entries computed again in the background after an invalidation or before expiry' })
      .addCallback((result) => result.observe(this.warmed.entries))
  }

  /** Lets the cache compute entries of `type` again by itself (for warming). */
  registerWarmer<T>(type: CacheType<T>, load: BatchLoad<T>): void {
    this.warmers.set(type.name, { type: type as CacheType<unknown>, load: load as BatchLoad<unknown> })
  }

  get enabled(): boolean {
    return this.options.l1 !== undefined || this.options.l2 !== undefined
  }

  /** The entry's key, in L1 and in Redis (where it carries the tier's prefix). */
  key(type: string, partition: string, id: string): string {
    return `${this.options.l2?.prefix ?? ''}${type}:${partition}:${id}`
  }

  /**
   * The value from L1 if it is there and current at least as of `minRevision`, without awaiting
   * anything (the hot path of a check); undefined otherwise (counted as nothing: `get` follows).
   */
  peek<T>(type: CacheType<T>, partition: string, id: string, minRevision = 0): Revisioned<T> | undefined {
    const hit = this.options.l1?.read(this.key(type.name, partition, id), partition)
    if (hit === undefined || hit.revision < minRevision) return undefined
    this.stats.forType(type.name).l1.hits++
    return hit as Revisioned<T>
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
        const text = this.codec.decode(found.text)
        const value = type.decode(text)
        this.options.l1?.fill(key, partition, id, type.name, value, found.revision, text.length, type.ttlMs)
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
      l1?.fill(key, partition, id, type.name, loaded.value, loaded.revision, text.length, type.ttlMs)
      if (l2?.available) {
        await l2.fill(key, partition, this.codec.encode(text), loaded.revision, type.ttlMs).catch((err) => {
          this.options.log.debug({ err }, 'L2 fill failed')
        })
      }
    }
    return loaded
  }

  /** Applies an invalidation to this process's L1 and to Redis (what a writer does after its commit). */
  async invalidate(invalidation: Invalidation): Promise<void> {
    const hot = this.options.l1?.invalidate(invalidation.partition, this.fullKeys(invalidation), invalidation.revision, this.options.warmWindowMs ?? 0) ?? []
    await this.options.l2?.invalidate(invalidation.partition, this.fullKeys(invalidation), invalidation.revision).catch((err) => {
      this.options.log.warn({ err: { message: (err as Error).message }, partition: invalidation.partition }, 'L2 invalidation failed; L2 is bypassed until Redis is flushed')
    })
    // Warming waits for Redis, so that a warmed entry is not filled from a stale L2 copy.
    if (hot.length > 0) this.warm(hot)
  }

  /**
   * Applies an invalidation to this process's L1 only (what the invalidator's fan-out asks), and
   * computes again in the background the dropped entries that were in use.
   */
  invalidateLocal(invalidation: Invalidation): void {
    const l1 = this.options.l1
    if (!l1) return
    const hot = l1.invalidate(invalidation.partition, this.fullKeys(invalidation), invalidation.revision, this.options.warmWindowMs ?? 0)
    if (hot.length > 0) this.warm(hot)
  }

  /**
   * A warming pass: computes again the entries in use that will expire within `withinMs`, so
   * that hot keys never fall out of the cache by TTL. Returns how many were queued.
   */
  warmExpiring(withinMs: number): number {
    const l1 = this.options.l1
    if (!l1 || !this.options.warmWindowMs) return 0
    const expiring = l1.expiringHotEntries(this.options.warmWindowMs, withinMs)
    this.warm(expiring)
    return expiring.length
  }

  private warm(entries: HotEntry[]): void {
    const hottestFirst = entries.filter((entry) => this.warmers.has(entry.type)).sort((a, b) => b.lastUsed - a.lastUsed)
    for (const entry of hottestFirst) this.warmQueue.set(this.key(entry.type, entry.partition, entry.id), entry)
    while (this.warming < warmConcurrency && this.warmQueue.size > 0) void this.warmNext()
  }

  private async warmNext(): Promise<void> {
    this.warming++
    try {
      for (let batch = this.takeWarmBatch(); batch.length > 0; batch = this.takeWarmBatch()) {
        const { type, partition } = batch[0]!
        try {
          const filled = await this.refill(this.warmers.get(type)!, partition, batch)
          this.warmed.entries += filled
        } catch (err) {
          this.warmed.failures += batch.length
          this.options.log.debug({ err, type, partition, entries: batch.length }, 'warming failed')
        }
      }
    } finally {
      this.warming--
    }
  }

  /** The hottest queued entry and up to `warmBatch` - 1 more of its type and partition, hottest first. */
  private takeWarmBatch(): HotEntry[] {
    const batch: HotEntry[] = []
    for (const [key, entry] of this.warmQueue) {
      if (batch.length > 0 && (entry.type !== batch[0]!.type || entry.partition !== batch[0]!.partition)) continue
      batch.push(entry)
      this.warmQueue.delete(key)
      if (batch.length === warmBatch) break
    }
    return batch
  }

  /**
   * Fills L1 again with entries of one partition: from Redis where it holds them current, else
   * computed in one batch and written to both tiers. Not a read: no hit or miss is counted, and an
   * entry keeps the time it was last read. Returns how many entries were filled.
   */
  private async refill(warmer: Warmer, partition: string, entries: HotEntry[]): Promise<number> {
    const l1 = this.options.l1!
    const { type, load } = warmer
    const lastUsed = new Map(entries.map((entry) => [entry.id, entry.lastUsed]))
    let missing = [...lastUsed.keys()]
    let filled = 0
    const l2 = this.options.l2
    if (l2?.available) {
      const found = await l2.readMany(missing.map((id) => this.key(type.name, partition, id)), partition).catch(() => missing.map(() => undefined))
      const seenHere = l1.watermarks.seen(partition)
      missing = missing.filter((id, i) => {
        const entry = found[i]
        if (entry === undefined || entry.revision < seenHere) return true
        const text = this.codec.decode(entry.text)
        if (l1.fill(this.key(type.name, partition, id), partition, id, type.name, type.decode(text), entry.revision, text.length, type.ttlMs, lastUsed.get(id))) filled++
        return false
      })
      if (missing.length === 0) return filled
    }
    const loaded = await load(partition, missing)
    const shared: { key: string; text: string }[] = []
    for (const id of missing) {
      if (!loaded.values.has(id)) continue
      const value = loaded.values.get(id)
      const key = this.key(type.name, partition, id)
      const text = type.encode(value)
      if (l1.fill(key, partition, id, type.name, value, loaded.revision, text.length, type.ttlMs, lastUsed.get(id))) filled++
      shared.push({ key, text: this.codec.encode(text) })
    }
    if (l2?.available) {
      await l2.fillMany(shared, partition, loaded.revision, type.ttlMs).catch((err) => {
        this.options.log.debug({ err }, 'L2 fill failed')
      })
    }
    return filled
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

  /**
   * Up to `limit` entries of a type in Redis, as (partition, id), for audits that sample what is
   * cached. Partitions must hold no `:` (organization ids do). Empty without a Redis tier.
   */
  async sampleShared(type: string, limit: number): Promise<{ partition: string; id: string }[]> {
    const l2 = this.options.l2
    if (!l2?.available) return []
    const head = `${l2.prefix}${type}:`
    const found: { partition: string; id: string }[] = []
    let cursor = '0'
    do {
      const [next, keys] = await l2.client.scan(cursor, 'MATCH', `${head}*`, 'COUNT', 1000)
      cursor = next
      for (const key of keys) {
        const rest = key.slice(head.length)
        const colon = rest.indexOf(':')
        if (colon > 0 && found.length < limit) found.push({ partition: rest.slice(0, colon), id: rest.slice(colon + 1) })
      }
    } while (cursor !== '0' && found.length < limit)
    return found
  }

  /** An entry as Redis holds it (no L1, no fill, no statistics), for audits; undefined when absent. */
  async readShared<T>(type: Pick<CacheType<T>, 'name' | 'decode'>, partition: string, id: string): Promise<Revisioned<T> | undefined> {
    const found = await this.options.l2?.read(this.key(type.name, partition, id), partition)
    return found ? { value: type.decode(this.codec.decode(found.text)), revision: found.revision } : undefined
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
