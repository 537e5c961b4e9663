import t from 'tap'
import { createMetrics } from '@latchkey/telemetry'
import { startPrivateRedis, uniquePrefix } from '@latchkey/testing'
import { connectRedis, jsonCacheType, MemoryTier, RedisTier, TieredCache } from '../src/index.ts'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
const permissions = jsonCacheType<string[]>('user_permissions', 60_000)

async function replicas(t: { teardown(fn: () => unknown): void }, url: string) {
  const redis = await connectRedis({ url, log: silent, waitMs: 2_000, redactedUrl: url })
  t.teardown(() => redis.disconnect())
  const l2 = new RedisTier(redis, { prefix: uniquePrefix(), marksTtlMs: 120_000, log: silent })
  const meter = createMetrics({ serviceName: 't' }).meter
  const replica = () => new TieredCache({ l1: new MemoryTier({ maxEntries: 100, maxBytes: 1 << 20 }), l2, meter, log: silent })
  return { replica, l2 }
}

t.test('a stalled Redis becomes a miss, and no entry written before the stall survives it stale', async (t) => {
  const redis = await startPrivateRedis(t)
  const { replica, l2 } = await replicas(t, redis.url)
  const writer = replica()

  // Warm: the entry is in L1 and in Redis.
  let state = { value: ['deals.view'], revision: 1 }
  await writer.get(permissions, 'org-1', 'ann', async () => state)

  // Redis stalls; a write happens, and its invalidation cannot reach Redis.
  redis.pause()
  state = { value: [], revision: 2 }
  await writer.invalidate({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'ann' }], revision: 2 })

  // The writer still answers correctly: its L1 was invalidated, the source is read.
  const started = Date.now()
  t.same(await writer.get(permissions, 'org-1', 'ann', async () => state), state)
  t.ok(Date.now() - started < 2_000, 'a stalled Redis costs at most its command timeout')

  // Redis comes back with the old entry still in it; the entry must not be served.
  t.notOk(l2.available, 'L2 is off while it may hold stale entries')
  redis.resume()
  for (let waited = 0; !l2.available && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100))
  t.ok(l2.available, 'L2 is on again once Redis has been flushed')
  const other = replica()
  t.same(await other.get(permissions, 'org-1', 'ann', async () => state), state, 'a replica with a cold L1 gets the new state')
  t.equal(other.stats.snapshot().user_permissions?.l2.misses, 1, 'the old entry is gone from Redis')
})

t.test('with Redis gone, reads and invalidations go on without it', async (t) => {
  const redis = await startPrivateRedis(t)
  const { replica } = await replicas(t, redis.url)
  const cache = replica()
  await redis.stop()
  let loads = 0
  const load = async () => (loads++, { value: ['deals.view'], revision: 1 })
  t.same(await cache.get(permissions, 'org-1', 'bob', load), { value: ['deals.view'], revision: 1 })
  await cache.invalidate({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'bob' }], revision: 2 })
  t.same(await cache.get(permissions, 'org-1', 'bob', async () => ({ value: [], revision: 2 })), { value: [], revision: 2 })
  t.equal(loads, 1)
})
