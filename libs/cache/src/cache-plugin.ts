import fp from 'fastify-plugin'
import type {} from '@latchkey/http'
import type { Meter } from '@opentelemetry/api'
import { redactUrl } from '@latchkey/logger'
import { connectRedis } from './connect-redis.ts'
import { MemoryTier } from './memory-tier.ts'
import { RedisTier } from './redis-tier.ts'
import { TieredCache } from './tiered-cache.ts'

export interface CachePluginOptions {
  meter: Meter
  /** Key prefix in Redis; tests give each run its own. */
  prefix: string
  l1: { enabled: boolean; maxEntries: number; maxBytes: number }
  /** How long a missing invalidation may be awaited before its partition is dropped. */
  gapTimeoutMs: number
  compressAboveBytes: number
  warmWindowMs: number
  l2: { enabled: boolean; url: string }
  /** Longest TTL of any cache type: partition marks in Redis must outlive every entry. */
  longestTtlMs: number
}

declare module 'fastify' {
  interface FastifyInstance {
    cache: TieredCache
  }
}

/**
 * The process's cache: L1 in memory and, when Redis is reachable, L2 in Redis.
 * (@fastify/redis is not used: it holds the boot until Redis answers, and Redis is optional here.)
 */
export const cachePlugin = fp<CachePluginOptions>(
  async (fastify, options) => {
    const l1 = options.l1.enabled ? new MemoryTier({ maxEntries: options.l1.maxEntries, maxBytes: options.l1.maxBytes, gapTimeoutMs: options.gapTimeoutMs }) : undefined
    let l2: RedisTier | undefined
    if (options.l2.enabled) {
      const redactedUrl = redactUrl(options.l2.url)
      const redis = await connectRedis({ url: options.l2.url, log: fastify.log, waitMs: 1_500, redactedUrl })
      l2 = new RedisTier(redis, { prefix: options.prefix, marksTtlMs: 2 * options.longestTtlMs, gapTimeoutMs: options.gapTimeoutMs, log: fastify.log })
      fastify.readiness.add({
        name: 'redis',
        critical: false,
        check: () => (l2!.available ? { state: 'up' } : { state: 'down', detail: `L2 cache off: Redis unreachable at ${redactedUrl}` }),
      })
      fastify.addHook('onClose', async () => {
        await redis.quit().catch(() => redis.disconnect())
      })
    }
    fastify.decorate(
      'cache',
      new TieredCache({
        l1,
        l2,
        meter: options.meter,
        log: fastify.log,
        compressAboveBytes: options.compressAboveBytes,
        warmWindowMs: options.warmWindowMs,
      }),
    )
  },
  { name: 'cache', dependencies: ['readiness'] },
)
