import type { Redis } from 'ioredis'
import type { Log } from '@latchkey/logger'

// A partition's marks (see partition-watermarks.ts) live beside its entries as
// "applied,seen,cleared,pendingSince", with revisions that arrived ahead of a gap in a sorted set.
// A fill is refused when it was computed before an invalidation Redis has already seen.
const fillScript = `
local marks = redis.call('GET', KEYS[2])
if marks then
  local seen = tonumber(string.match(marks, '^%d+,(%d+)'))
  if tonumber(ARGV[2]) < seen then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2] .. '|' .. ARGV[1], 'PX', ARGV[3])
return 1`

// KEYS[1] marks, KEYS[2] pending revisions, KEYS[3..] entries to delete.
// ARGV: revision, "1" to clear the whole partition, marks TTL (ms), gap timeout (ms).
const invalidateScript = `
local revision = tonumber(ARGV[1])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local marks = redis.call('GET', KEYS[1])
local applied, seen, cleared, since
if not marks then
  applied, seen, cleared, since = revision, revision, revision, 0
else
  local a, s, c, p = string.match(marks, '^(%d+),(%d+),(%d+),(%d+)$')
  applied, seen, cleared, since = tonumber(a), tonumber(s), tonumber(c), tonumber(p)
  if revision > seen then seen = revision end
  if ARGV[2] == '1' and revision > cleared then cleared = revision end
  if revision == applied + 1 then
    applied = revision
    while redis.call('ZREM', KEYS[2], tostring(applied + 1)) == 1 do applied = applied + 1 end
    if redis.call('ZCARD', KEYS[2]) == 0 then since = 0 end
  elseif revision > applied then
    redis.call('ZADD', KEYS[2], revision, tostring(revision))
    redis.call('PEXPIRE', KEYS[2], ARGV[3])
    if since == 0 then since = now end
    if now - since > tonumber(ARGV[4]) then
      applied, cleared, since = seen, seen, 0
      redis.call('DEL', KEYS[2])
    end
  end
end
redis.call('SET', KEYS[1], applied .. ',' .. seen .. ',' .. cleared .. ',' .. since, 'PX', ARGV[3])
if #KEYS > 2 then redis.call('DEL', unpack(KEYS, 3)) end
return applied`

const invalidationBatch = 500

/** An entry as Redis holds it: its encoded value and the revision it is current at. */
export interface L2Entry {
  text: string
  revision: number
}

export interface RedisTierOptions {
  prefix: string
  /** How long partition marks are kept: longer than any entry's TTL. */
  marksTtlMs: number
  /** How long a gap in a partition's invalidations may stay open before the partition is cleared. */
  gapTimeoutMs?: number
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

  /** The Redis client, for read-only inspection (statistics). */
  get client(): Redis {
    return this.redis
  }

  get prefix(): string {
    return this.options.prefix
  }

  get available(): boolean {
    return this.redis.status === 'ready' && !this.suspect
  }

  marksKey(partition: string): string {
    return `${this.options.prefix}marks:${partition}`
  }

  async read(key: string, partition: string): Promise<L2Entry | undefined> {
    return (await this.readMany([key], partition))[0]
  }

  /** Entries of one partition with one round trip (a single MGET with the partition's marks). */
  async readMany(keys: string[], partition: string): Promise<(L2Entry | undefined)[]> {
    if (!this.available) return keys.map(() => undefined)
    const found = await this.redis.mget(...keys, this.marksKey(partition))
    const { applied, cleared } = parseMarks(found.pop() ?? null)
    return found.map((raw) => {
      if (raw == null) return undefined
      const bar = raw.indexOf('|')
      const entryRevision = Number(raw.slice(0, bar))
      if (entryRevision < cleared) return undefined
      return { text: raw.slice(bar + 1), revision: Math.max(entryRevision, applied) }
    })
  }

  async fill(key: string, partition: string, text: string, revision: number, ttlMs: number): Promise<void> {
    await this.fillMany([{ key, text }], partition, revision, ttlMs)
  }

  /** Stores entries of one partition computed at one revision, pipelined (one round trip). */
  async fillMany(entries: { key: string; text: string }[], partition: string, revision: number, ttlMs: number): Promise<void> {
    if (!this.available || entries.length === 0) return
    const marksKey = this.marksKey(partition)
    if (entries.length === 1) {
      await (this.redis as unknown as LatchkeyCommands).lkFill(entries[0]!.key, marksKey, entries[0]!.text, revision, ttlMs)
      return
    }
    const pipeline = this.redis.pipeline() as unknown as LatchkeyCommands & { exec(): Promise<[Error | null, unknown][] | null> }
    for (const entry of entries) void pipeline.lkFill(entry.key, marksKey, entry.text, revision, ttlMs)
    const failed = (await pipeline.exec())?.find(([err]) => err)
    if (failed) throw failed[0]
  }

  /**
   * Deletes `keys` (or, with `keys` undefined, every entry of the partition) in pipelined batches
   * and moves the partition's marks forward.
   */
  async invalidate(partition: string, keys: string[] | undefined, revision: number): Promise<void> {
    try {
      const redis = this.redis as unknown as LatchkeyCommands & Redis
      const pipeline = redis.pipeline() as unknown as LatchkeyCommands & { exec(): Promise<[Error | null, unknown][] | null> }
      const marksKey = this.marksKey(partition)
      const args = [revision, keys === undefined ? '1' : '0', this.options.marksTtlMs, this.options.gapTimeoutMs ?? 5_000]
      // Every batch but the last is a plain delete; the last one moves the marks, so that no
      // entry is vouched for at the new revision before all of the change's entries are gone.
      const all = keys ?? []
      const last = Math.max(0, all.length - invalidationBatch)
      for (let i = 0; i < last; i += invalidationBatch) (pipeline as unknown as Redis).unlink(...all.slice(i, Math.min(i + invalidationBatch, last)))
      const tail = all.slice(last)
      pipeline.lkInvalidate(tail.length + 2, marksKey, `${marksKey}:pending`, ...tail, ...args)
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

function parseMarks(marks: string | null): { applied: number; seen: number; cleared: number } {
  if (!marks) return { applied: 0, seen: 0, cleared: 0 }
  const [applied, seen, cleared] = marks.split(',').map(Number)
  return { applied: applied!, seen: seen!, cleared: cleared! }
}
