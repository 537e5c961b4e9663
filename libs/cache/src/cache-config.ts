import { Duration } from '@latchkey/config'
import Type, { type Static } from 'typebox'

/** The variables of the cache library, shared by every service that caches. */
export const CacheConfigSchema = Type.Object({
  CACHE_L1_ENABLED: Type.Boolean({ default: true, description: 'In-process L1 cache' }),
  CACHE_L1_MAX_ENTRIES: Type.Integer({ minimum: 1, default: 200_000 }),
  CACHE_L1_MAX_BYTES: Type.Integer({ minimum: 1024, default: 128 * 1024 * 1024, description: 'Estimated bytes held by L1' }),
  CACHE_L2_ENABLED: Type.Boolean({ default: true, description: 'Redis L2 cache (off by itself while Redis is unreachable)' }),
  CACHE_L1_DEGRADED_TTL: Duration('5s', 'While NATS is unreachable (no invalidations arrive), the oldest L1 entry served'),
  CACHE_GAP_TIMEOUT: Duration('5s', 'How long a missing invalidation may be awaited before its organization is dropped from the cache'),
  CACHE_COMPRESS_ABOVE: Type.Integer({ minimum: 0, default: 1024, description: 'Values larger than this many bytes are compressed in Redis (0: never)' }),
  CACHE_WARM_WINDOW: Duration('60s', 'Entries read within this window are computed again after an invalidation drops them (0s: no warming)'),
  REDIS_KEY_PREFIX: Type.String({ default: 'lk:', pattern: '^[A-Za-z0-9:_.-]{1,64}$', description: 'Prefix of every Redis key' }),
})

export type CacheConfig = Static<typeof CacheConfigSchema>
