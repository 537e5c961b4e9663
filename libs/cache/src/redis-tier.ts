import type { Redis } from 'ioredis'
import type { Log } from '@latchkey/logger'

// The partition's marks live beside its entries as "applied,cleared" (see partition-watermarks.ts).
// A fill is refused when it was computed before an invalidation that Redis has already applied.
const fillScript = `
local marks = redis.call('GET', KEYS[2])
local applied = 0
if marks then applied = tonumber(string.match(marks, '^(%d+)')) end
if tonumber(ARGV[2]) < applied then return 0 end
redis.call('SET', KEYS[1], ARGV[2] .. '|' .. ARGV[1], 'PX', ARGV[3])
return 1`

// KEYS[1] is the marks key, the others are entries to delete; ARGV[1] the revision, ARGV[2] "1"
// when the whole partition is cleared. Marks only move forward, and outlive every entry's TTL.
const invalidateScript = `
local marks = redis.call('GET', KEYS[1])
local applied, cleared = 0, 0
if marks then
  applied = tonumber(string.match(marks, '^(%d+)'))
  cleared = tonumber(string.match(marks, ',(%d+)$'))
end
local revision = tonumber(ARGV[1])
if revision > applied then applied = revision end
if ARGV[2] == '1' and revision > cleared then cleared = revision end
redis.call('SET', KEYS[1], applied .. ',' .. cleared, 'PX', ARGV[3])
if #KEYS > 1 then redis.call('DEL', unpack(KEYS, 2)) end
return applied`

const invalidationBatch = 500

export interface RedisTierOptions {
  prefix: string
  /** How long partition marks are kept: longer than any entry's TTL. */
  marksTtlMs: number
  log: Log
}

/**
 * L2: entries in Redis as "<revision>|<encoded value>", shared by every replica. Redis is optional:
 * every failure is a miss, and a failed invalidation makes the tier refuse to serve until it has
 * dropped every entry it holds, so that nothing written before an outage survives it stale.
 */
export class RedisTier {
  private suspect = false
  private flushing: Promise<void> | undefined

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisTierOptions,
  ) {
    redis.defineCommand('lkFill', { numberOfKeys: 2, lua: fillScript })
    redis.defineCommand('lkInvalidate', { lua: invalidateScript })
  }

  get available(): boolean {
    return this.redis.status === 'ready' && !this.suspect
  }

  marksKey(partition: string): string {
    return `${this.options.prefix}marks:${partition}`
  }

  async read(key: string, partition: string): Promise<{ text: string; revision: number } | undefined> {
    if (!this.available) return undefined
    const [raw, marks] = await this.redis.mget(key, this.marksKey(partition))
    if (raw == null) return undefined
    const bar = raw.indexOf('|')
    const entryRevision = Number(raw.slice(0, bar))
    const [applied, cleared] = parseMarks(marks ?? null)
    if (entryRevision < cleared) return undefined
    return { text: raw.slice(bar + 1), revision: Math.max(entryRevision, applied) }
  }

  async fill(key: string, partition: string, text: string, revision: number, ttlMs: number): Promise<void> {
    if (!this.available) return
    await (this.redis as unknown as LatchkeyCommands).lkFill(key, this.marksKey(partition), text, revision, ttlMs)
  }

  /** Deletes entries in pipelined batches and moves the partition's marks forward. */
  async invalidate(partition: string, keys: string[], revision: number, clearPartition: boolean): Promise<void> {
    try {
      const redis = this.redis as unknown as LatchkeyCommands & Redis
      const pipeline = redis.pipeline() as unknown as LatchkeyCommands & { exec(): Promise<[Error | null, unknown][] | null> }
      const marksKey = this.marksKey(partition)
      const clear = clearPartition ? '1' : '0'
      if (keys.length === 0) pipeline.lkInvalidate(1, marksKey, revision, clear, this.options.marksTtlMs)
      for (let i = 0; i < keys.length; i += invalidationBatch) {
        const batch = keys.slice(i, i + invalidationBatch)
        pipeline.lkInvalidate(batch.length + 1, marksKey, ...batch, revision, clear, this.options.marksTtlMs)
      }
      const results = await pipeline.exec()
      const failed = results?.find(([err]) => err)
      if (failed) throw failed[0]
    } catch (err) {
      this.markSuspect(err)
      throw err
    }
  }

  private markSuspect(err: unknown): void {
    if (this.suspect) return
    this.options.log.warn({ err: { message: (err as Error)?.message } }, 'Redis missed an invalidation; L2 is off until it has been flushed')
    this.suspect = true
    this.flushing ??= this.flushUntilDone()
  }

  /**
   * Drops every entry under the prefix (after an invalidation was lost), retrying until Redis
   * answers again, then serves again. A whole flush is coarse, but outages are rare and an exact
   * replay would need the lost invalidations, which only the event stream has.
   */
  private async flushUntilDone(): Promise<void> {
    for (let attempt = 0; this.suspect; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 5_000)).unref())
      if (this.redis.status === 'end') return
      try {
        let cursor = '0'
        do {
          const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.options.prefix}*`, 'COUNT', 1000)
          cursor = next
          if (keys.length > 0) await this.redis.unlink(...keys)
        } while (cursor !== '0')
        this.suspect = false
        this.options.log.info('L2 flushed after a lost invalidation; serving from Redis again')
      } catch {
        // Still unreachable: try again later.
      }
    }
    this.flushing = undefined
  }
}

interface LatchkeyCommands {
  lkFill(entryKey: string, marksKey: string, text: string, revision: number, ttlMs: number): Promise<number>
  lkInvalidate(numberOfKeys: number, ...args: (string | number)[]): Promise<number>
}

function parseMarks(marks: string | null): [number, number] {
  if (!marks) return [0, 0]
  const comma = marks.indexOf(',')
  return [Number(marks.slice(0, comma)), Number(marks.slice(comma + 1))]
}
