import type { Redis } from 'ioredis'

export interface Census {
  entries: number
  bytes: number
  /** True when the scan stopped at its limit: the figures cover part of the keys. */
  partial: boolean
}

/**
 * Counts L2 entries and their bytes per cache type by scanning the prefix. Bytes are Redis's own
 * MEMORY USAGE, measured on a sample and scaled; the scan stops at `maxKeys` so that a large
 * Redis is never blocked by a stats request.
 */
export async function redisCensus(redis: Redis, prefix: string, options: { maxKeys: number; sampleEvery: number }): Promise<Map<string, Census>> {
  const byType = new Map<string, Census & { sampledKeys: number; sampledBytes: number }>()
  let cursor = '0'
  let seen = 0
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
    cursor = next
    const sampled: [string, string][] = []
    for (const key of keys) {
      const type = key.slice(prefix.length).split(':', 1)[0]!
      if (type === 'marks') continue
      let census = byType.get(type)
      if (!census) byType.set(type, (census = { entries: 0, bytes: 0, partial: false, sampledKeys: 0, sampledBytes: 0 }))
      census.entries++
      seen++
      if (census.entries % options.sampleEvery === 1 || options.sampleEvery === 1) sampled.push([type, key])
    }
    if (sampled.length > 0) {
      const pipeline = redis.pipeline()
      for (const [, key] of sampled) pipeline.memory('USAGE', key)
      const results = (await pipeline.exec()) ?? []
      results.forEach(([err, bytes], i) => {
        if (err || typeof bytes !== 'number') return
        const census = byType.get(sampled[i]![0])!
        census.sampledKeys++
        census.sampledBytes += bytes
      })
    }
    if (seen >= options.maxKeys) break
  } while (cursor !== '0')
  const partial = cursor !== '0'
  return new Map(
    [...byType].map(([type, c]) => [type, { entries: c.entries, bytes: c.sampledKeys === 0 ? 0 : Math.round((c.sampledBytes / c.sampledKeys) * c.entries), partial }]),
  )
}
