import { LRUCache } from 'lru-cache'
import { coarseNow } from './coarse-clock.ts'
import { PartitionWatermarks } from './partition-watermarks.ts'

interface Entry {
  /** What a hit answers: handed out as it is (a hit allocates nothing), never with the rest. */
  hit: { value: unknown; revision: number }
  storedAt: number
  lastUsed: number
  bytes: number
  type: string
  partition: string
  id: string
}

/** An entry that was read recently: worth computing again once dropped or about to expire. */
export interface HotEntry {
  type: string
  partition: string
  id: string
  /** When it was last read (coarse clock, ms): a warmed copy keeps it, since warming is not a read. */
  lastUsed: number
}

export interface MemoryTierOptions {
  maxEntries: number
  maxBytes: number
  /** How long a gap in a partition's invalidations may stay open before the partition is cleared. */
  gapTimeoutMs?: number
}

/**
 * L1: a per-process LRU bounded by entries and by estimated bytes, with a TTL per entry. Entries
 * are checked against the partition's watermarks on every read and on every fill.
 */
export class MemoryTier {
  private readonly lru: LRUCache<string, Entry>
  readonly watermarks: PartitionWatermarks
  private readonly sizes = new Map<string, { entries: number; bytes: number }>()
  /** While set, entries older than this are not served (invalidations may be missed meanwhile). */
  private maxAgeMs: number | undefined

  constructor(options: MemoryTierOptions) {
    this.watermarks = new PartitionWatermarks(options.gapTimeoutMs)
    this.lru = new LRUCache<string, Entry>({
      max: options.maxEntries,
      maxSize: options.maxBytes,
      sizeCalculation: (entry) => entry.bytes,
      ttlAutopurge: false,
      allowStale: false,
      dispose: (entry) => this.account(entry, -1),
    })
  }

  /**
   * The entry's value and the revision it is current at, or undefined on a miss. The same object
   * on every hit (not a copy: a hit allocates nothing); callers must not change it.
   */
  read(key: string, partition: string): { readonly value: unknown; readonly revision: number } | undefined {
    const entry = this.lru.get(key)
    if (entry === undefined) return undefined
    if (this.maxAgeMs !== undefined && Date.now() - entry.storedAt > this.maxAgeMs) return undefined
    entry.lastUsed = coarseNow()
    const marks = this.watermarks.get(partition)
    if (marks === undefined) return entry.hit
    if (entry.hit.revision < marks.cleared) {
      this.lru.delete(key)
      return undefined
    }
    // Every invalidation up to `applied` reached this partition and left the entry in place: it
    // is current as of `applied`, which can be written down (only a clear above it ends it).
    if (entry.hit.revision < marks.applied) entry.hit.revision = marks.applied
    return entry.hit
  }

  /**
   * Stores a value computed at `revision`, unless an invalidation newer than it was applied.
   * `lastUsed` is the time of the read it serves (now, unless warming fills it ahead of reads).
   */
  fill(key: string, partition: string, id: string, type: string, value: unknown, revision: number, bytes: number, ttlMs: number, lastUsed = coarseNow()): boolean {
    if (revision < this.watermarks.seen(partition)) return false
    const entry: Entry = { hit: { value, revision }, storedAt: Date.now(), lastUsed, bytes: Math.max(1, bytes), type, partition, id }
    this.lru.set(key, entry, { ttl: ttlMs })
    if (this.lru.peek(key) === entry) this.account(entry, 1)
    return true
  }

  delete(key: string): void {
    this.lru.delete(key)
  }

  /**
   * Drops `keys` (or, with `keys` undefined, the whole partition) as of `revision`, and returns
   * those of the dropped entries that were read within the last `hotWindowMs`.
   */
  invalidate(partition: string, keys: Iterable<string> | undefined, revision: number, hotWindowMs = 0): HotEntry[] {
    const hot: HotEntry[] = []
    const since = coarseNow() - hotWindowMs
    if (keys) {
      for (const key of keys) {
        const entry = this.lru.peek(key)
        if (entry === undefined) continue
        if (hotWindowMs > 0 && entry.lastUsed >= since) hot.push({ type: entry.type, partition, id: entry.id, lastUsed: entry.lastUsed })
        this.lru.delete(key)
      }
    }
    this.watermarks.advance(partition, revision, keys === undefined)
    return hot
  }

  /** Entries read within `windowMs` whose remaining life is under `remainingBelowMs`. */
  expiringHotEntries(windowMs: number, remainingBelowMs: number): HotEntry[] {
    const since = coarseNow() - windowMs
    const found: HotEntry[] = []
    for (const [key, entry] of this.lru.entries()) {
      if (entry.lastUsed >= since && this.lru.getRemainingTTL(key) < remainingBelowMs) found.push({ type: entry.type, partition: entry.partition, id: entry.id, lastUsed: entry.lastUsed })
    }
    return found
  }

  /** Bounds the age of what L1 serves (while its invalidations cannot arrive), or lifts the bound. */
  limitAge(maxAgeMs: number | undefined): void {
    this.maxAgeMs = maxAgeMs
  }

  /** Drops every entry and every mark: what is left cannot be vouched for (invalidations were missed). */
  clear(): void {
    this.lru.clear()
    this.watermarks.reset()
  }

  sizeByType(): Map<string, { entries: number; bytes: number }> {
    return this.sizes
  }

  private account(entry: Entry, sign: 1 | -1): void {
    let size = this.sizes.get(entry.type)
    if (!size) this.sizes.set(entry.type, (size = { entries: 0, bytes: 0 }))
    size.entries += sign
    size.bytes += sign * entry.bytes
  }
}
