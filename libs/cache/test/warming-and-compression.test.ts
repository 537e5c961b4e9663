import t from 'tap'
import { createMetrics } from '@latchkey/telemetry'
import { testRedis } from '@latchkey/testing'
import { jsonCacheType, MemoryTier, RedisTier, TieredCache } from '../src/index.ts'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
const permissions = jsonCacheType<string[]>('user_permissions', 60_000)
const settle = (ms = 20) => new Promise((resolve) => setTimeout(resolve, ms))

function cache(options: { warmWindowMs: number; l2?: RedisTier; compressAboveBytes?: number }) {
  return new TieredCache({
    l1: new MemoryTier({ maxEntries: 1_000, maxBytes: 1 << 20 }),
    meter: createMetrics({ serviceName: 't' }).meter,
    log: silent,
    ...options,
  })
}

t.test('an entry in use is computed again in the background after an invalidation drops it', async (t) => {
  const c = cache({ warmWindowMs: 60_000 })
  let state = { value: ['deals.view'], revision: 1 }
  let loads = 0
  const load = async () => (loads++, state)
  c.registerWarmer(permissions, async (_partition, ids) => (loads++, { revision: state.revision, values: new Map(ids.map((id) => [id, state.value])) }))
  await c.invalidate({ partition: 'org-1', entries: [], revision: 1 })
  await c.get(permissions, 'org-1', 'ann', load)
  await c.get(permissions, 'org-1', 'ann', load)

  state = { value: [], revision: 2 }
  c.invalidateLocal({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'ann' }], revision: 2 })
  await settle()
  t.equal(loads, 2, 'the warmer loaded it once')
  t.same(await c.get(permissions, 'org-1', 'ann', load), state, 'the next read is a hit with the new state')
  t.equal(loads, 2)
  t.equal(c.warmed.entries, 1)
})

t.test('an entry nobody read recently is not warmed', async (t) => {
  const c = cache({ warmWindowMs: 1 })
  let loads = 0
  const load = async () => (loads++, { value: ['a.b'], revision: 1 })
  c.registerWarmer(permissions, async (_partition, ids) => (loads++, { revision: 1, values: new Map(ids.map((id) => [id, ['a.b']])) }))
  await c.invalidate({ partition: 'org-1', entries: [], revision: 1 })
  await c.get(permissions, 'org-1', 'bob', load)
  await settle(300)
  c.invalidateLocal({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'bob' }], revision: 2 })
  await settle()
  t.equal(loads, 1)
  t.equal(c.warmed.entries, 0)
})

t.test('a warming pass refreshes entries in use before they expire', async (t) => {
  const shortLived = jsonCacheType<string[]>('user_permissions', 1_000)
  const c = cache({ warmWindowMs: 60_000 })
  let loads = 0
  const load = async () => (loads++, { value: ['a.b'], revision: 1 })
  c.registerWarmer(shortLived, async (_partition, ids) => (loads++, { revision: 1, values: new Map(ids.map((id) => [id, ['a.b']])) }))
  await c.get(shortLived, 'org-1', 'ann', load)
  t.equal(c.warmExpiring(10), 0, 'none expires within 10 ms')
  t.equal(c.warmExpiring(5_000), 1, 'the entry expiring within 5 s is queued')
  await settle()
  t.equal(loads, 2, 'and computed again')
  t.equal(c.warmExpiring(900), 0, 'it lives a whole TTL again')
  t.equal(c.stats.forType('user_permissions').l1.misses, 1, 'warming is not counted as a read')
})

t.test('many dropped entries are warmed hottest first, a partition in one batch, and stay as hot as they were', async (t) => {
  const c = cache({ warmWindowMs: 60_000 })
  const batches: string[][] = []
  c.registerWarmer(permissions, async (partition, ids) => (batches.push(ids), { revision: 3, values: new Map(ids.map((id) => [id, [`${partition}.${id}`]])) }))
  await c.invalidate({ partition: 'org-1', entries: [], revision: 1 })
  const users = Array.from({ length: 600 }, (_, i) => `u${i}`)
  for (const user of users) await c.get(permissions, 'org-1', user, async () => ({ value: ['x.y'], revision: 1 }))
  await settle(250)
  await c.get(permissions, 'org-1', 'u599', async () => ({ value: ['x.y'], revision: 1 }))

  c.invalidateLocal({ partition: 'org-1', entries: users.map((id) => ({ type: 'user_permissions', id })), revision: 2 })
  await settle(50)
  t.equal(c.warmed.entries, 600, 'every entry in use came back')
  t.ok(batches.length <= 3 && batches.every((ids) => ids.length <= 250), `in ${batches.length} batches of at most 250`)
  t.equal(batches[0]![0], 'u599', 'the most recently read entry is warmed first')
  t.same(c.peek(permissions, 'org-1', 'u7'), { value: ['org-1.u7'], revision: 3 }, 'at the revision the batch was read at')
  t.equal(c.warmExpiring(120_000), 600, 'warmed entries keep the time of their last read')
})

t.test('large values are compressed in Redis and read back intact', async (t) => {
  const { redis, prefix } = await testRedis(t)
  const l2 = new RedisTier(redis, { prefix, marksTtlMs: 60_000, log: silent })
  const big = Array.from({ length: 400 }, (_, i) => `resource_${i % 40}.action_${i}`)
  const writer = cache({ warmWindowMs: 0, l2, compressAboveBytes: 1024 })
  await writer.get(permissions, 'org-1', 'ann', async () => ({ value: big, revision: 1 }))
  const stored = (await redis.get(`${prefix}user_permissions:org-1:ann`))!
  const json = JSON.stringify(big)
  t.match(stored, /^1\|z:/, 'stored compressed')
  t.ok(stored.length < json.length / 2, `${stored.length} bytes instead of ${json.length}`)
  const reader = cache({ warmWindowMs: 0, l2, compressAboveBytes: 1024 })
  t.same(await reader.get(permissions, 'org-1', 'ann', async () => ({ value: [], revision: 1 })), { value: big, revision: 1 })
  await writer.get(permissions, 'org-1', 'bob', async () => ({ value: ['deals.view'], revision: 1 }))
  t.equal(await redis.get(`${prefix}user_permissions:org-1:bob`), '1|["deals.view"]', 'small values stay as they are')
})
