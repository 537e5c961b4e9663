import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'

const machineRedis = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A Redis key prefix of its own, so that tests never see each other's entries. */
export const uniquePrefix = (): string => `lktest:${randomBytes(5).toString('hex')}:`

/** Deletes every key under `prefix` (quietly does nothing when Redis is down on purpose). */
export async function removeRedisKeys(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await redis.unlink(...keys)
    } while (cursor !== '0')
  } catch {
    // An outage test may have stopped this Redis; its keys died with it.
  } finally {
    redis.disconnect()
  }
}

/** A connected client on the machine's Redis and a prefix of the test's own, cleaned up at its end. */
export async function testRedis(t: { teardown(fn: () => unknown): void }): Promise<{ redis: Redis; prefix: string; url: string }> {
  const redis = new Redis(machineRedis, { maxRetriesPerRequest: 1 })
  await redis.ping()
  const prefix = uniquePrefix()
  t.teardown(async () => {
    await removeRedisKeys(machineRedis, prefix)
    await redis.quit()
  })
  return { redis, prefix, url: machineRedis }
}
