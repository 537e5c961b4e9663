import { Redis } from 'ioredis'
import type { Log } from '@latchkey/logger'

/**
 * A Redis client for a cache that must never make the service wait: commands fail at once while
 * disconnected (no offline queue), and the client reconnects in the background forever.
 * Resolves when connected, or after `waitMs` with the client still trying (Redis is optional).
 */
export async function connectRedis(options: { url: string; log: Log; waitMs: number; redactedUrl: string }): Promise<Redis> {
  const redis = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // A cache that answers slowly is worse than none: a stalled Redis becomes a miss quickly.
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2_000),
    lazyConnect: true,
  })
  let warned = false
  redis.on('error', (err) => {
    if (!warned) options.log.warn({ err: { message: err.message } }, `Redis unreachable at ${options.redactedUrl}: L2 cache off until it returns`)
    warned = true
  })
  redis.on('ready', () => {
    if (warned) options.log.info(`Redis reachable again at ${options.redactedUrl}: L2 cache on`)
    warned = false
  })
  const connected = redis.connect().then(
    () => true,
    () => false,
  )
  const timedOut = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), options.waitMs).unref())
  await Promise.race([connected, timedOut])
  return redis
}
