import Type, { type Static } from 'typebox'

/** The variables of the cache library, shared by every service that caches. */
export const CacheConfigSchema = Type.Object({
  CACHE_L1_ENABLED: Type.Boolean({ default: true, description: 'In-process L1 cache' }),
  CACHE_L1_MAX_ENTRIES: Type.Integer({ minimum: 1, default: 200_000 }),
  CACHE_L1_MAX_BYTES: Type.Integer({ minimum: 1024, default: 128 * 1024 * 1024, description: 'Estimated bytes held by L1' }),
  CACHE_L2_ENABLED: Type.Boolean({ default: true, description: 'Redis L2 cache (off by itself while Redis is unreachable)' }),
  REDIS_KEY_PREFIX: Type.String({ default: 'lk:', pattern: '^[A-Za-z0-9:_.-]{1,64}$', description: 'Prefix of every Redis key' }),
})

export type CacheConfig = Static<typeof CacheConfigSchema>
