// What a cache prefix holds in Redis, by cache type: keys, the bytes of their values (STRLEN) and
// Redis's own accounting of each key (MEMORY USAGE, which adds the key and allocator overhead).
// Partition marks (`<prefix>marks:…`) are counted apart.
import { Redis } from 'ioredis'

export interface TypeCensus {
  keys: number
  valueBytes: number
  memoryBytes: number
  /** Values stored deflated (they start with `z:` after the revision). */
  compressed: number
}

export async function redisCensus(url: string, prefix: string): Promise<Record<string, TypeCensus>> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  await redis.connect()
  const out: Record<string, TypeCensus> = {}
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      if (keys.length === 0) continue
      const pipeline = redis.pipeline()
      for (const key of keys) {
        pipeline.strlen(key)
        pipeline.memory('USAGE', key, 'SAMPLES', '0')
        pipeline.getrange(key, 0, 40)
      }
      const results = (await pipeline.exec()) ?? []
      keys.forEach((key, i) => {
        const type = key.slice(prefix.length).split(':', 1)[0]!
        const census = (out[type] ??= { keys: 0, valueBytes: 0, memoryBytes: 0, compressed: 0 })
        census.keys++
        census.valueBytes += Number(results[3 * i]?.[1] ?? 0)
        census.memoryBytes += Number(results[3 * i + 1]?.[1] ?? 0)
        const head = String(results[3 * i + 2]?.[1] ?? '')
        if (/^\d+\|z:/.test(head)) census.compressed++
      })
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
  return out
}
