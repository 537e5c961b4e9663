import { Redis } from 'ioredis'

/** Deletes every key under `prefix` (a benchmark's cache entries); quietly does nothing if Redis is down. */
export async function removeRedisKeys(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  let removed = 0
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) removed += await redis.unlink(...keys)
    } while (cursor !== '0')
  } catch {
    // Entries expire by themselves (their TTLs are at most a few hours).
  } finally {
    redis.disconnect()
  }
  return removed
}
