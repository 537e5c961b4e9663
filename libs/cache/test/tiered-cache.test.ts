import t from 'tap'
import { createMetrics } from '@latchkey/telemetry'
import { testRedis } from '@latchkey/testing'
import { jsonCacheType, MemoryTier, RedisTier, TieredCache } from '../src/index.ts'

const silent = { debug() {}, info() {}, warn() {}, error() {} }
const permissions = jsonCacheType<string[]>('user_permissions', 60_000)

function memoryOnly() {
  return new TieredCache({ l1: new MemoryTier({ maxEntries: 1000, maxBytes: 1 << 20 }), meter: createMetrics({ serviceName: 't' }).meter, log: silent })
}

async function withRedis(t: { teardown(fn: () => unknown): void }) {
  const { redis, prefix } = await testRedis(t)
  const l2 = new RedisTier(redis, { prefix, marksTtlMs: 120_000, log: silent })
  const meter = createMetrics({ serviceName: 't' }).meter
  const replica = () => new TieredCache({ l1: new MemoryTier({ maxEntries: 1000, maxBytes: 1 << 20 }), l2, meter, log: silent })
  return { redis, l2, replica }
}

/** A load whose answer the test releases by hand, to interleave a write with it deterministically. */
function controlledLoad<T>() {
  let release!: (value: { value: T; revision: number }) => void
  let calls = 0
  const load = () => {
    calls++
    return new Promise<{ value: T; revision: number }>((resolve) => (release = resolve))
  }
  return { load, release: (value: T, revision: number) => release({ value, revision }), calls: () => calls }
}

t.test('a hit in L1 answers without loading; a miss loads once and fills', async (t) => {
  const cache = memoryOnly()
  let loads = 0
  const load = async () => ({ value: ['deals.view'], revision: 3 })
  const counted = async () => (loads++, load())
  t.same(await cache.get(permissions, 'org-1', 'ann', counted), { value: ['deals.view'], revision: 3 })
  t.same(await cache.get(permissions, 'org-1', 'ann', counted), { value: ['deals.view'], revision: 3 })
  t.equal(loads, 1)
  t.same(cache.stats.snapshot().user_permissions?.l1, { hits: 1, misses: 1, hitRatio: 0.5 })
})

t.test('concurrent misses for one key share one load (request coalescing)', async (t) => {
  const cache = memoryOnly()
  const source = controlledLoad<string[]>()
  const readers = Array.from({ length: 50 }, () => cache.get(permissions, 'org-1', 'ann', source.load))
  source.release(['deals.view'], 1)
  const answers = await Promise.all(readers)
  t.equal(source.calls(), 1, 'fifty readers, one load')
  t.ok(answers.every((a) => a.value[0] === 'deals.view'))
})

t.test('an invalidation drops the entry, so the next read sees the new state', async (t) => {
  const cache = memoryOnly()
  let state = ['deals.view']
  let revision = 1
  const load = async () => ({ value: state, revision })
  await cache.get(permissions, 'org-1', 'ann', load)
  state = []
  revision = 2
  await cache.invalidate({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'ann' }], revision: 2 })
  t.same(await cache.get(permissions, 'org-1', 'ann', load), { value: [], revision: 2 })
})

t.test('no stale fill: a load computed before an invalidation never enters the cache after it', async (t) => {
  const cache = memoryOnly()
  const slow = controlledLoad<string[]>()
  // A reader starts computing from the old state (revision 4)...
  const reader = cache.get(permissions, 'org-1', 'ann', slow.load)
  // ...meanwhile a write commits revision 5 and invalidates the key...
  await cache.invalidate({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'ann' }], revision: 5 })
  // ...then the reader finishes with what it read before the write.
  slow.release(['deals.delete'], 4)
  t.same(await reader, { value: ['deals.delete'], revision: 4 }, 'the reader itself gets what it computed')
  const fresh = await cache.get(permissions, 'org-1', 'ann', async () => ({ value: [], revision: 5 }))
  t.same(fresh, { value: [], revision: 5 }, 'the next reader does not get the stale value')
})

t.test('an entry untouched by an invalidation is current at the newer revision', async (t) => {
  const cache = memoryOnly()
  await cache.invalidate({ partition: 'org-1', entries: [], revision: 1 })
  await cache.get(permissions, 'org-1', 'bob', async () => ({ value: ['deals.view'], revision: 1 }))
  await cache.invalidate({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'ann' }], revision: 2 })
  let loaded = false
  const answer = await cache.get(permissions, 'org-1', 'bob', async () => ((loaded = true), { value: [], revision: 2 }), 2)
  t.same(answer, { value: ['deals.view'], revision: 2 })
  t.notOk(loaded, 'a token of revision 2 is answered from the cache')
})

t.test('a token newer than every entry forces a load; one newer than the source is refused', async (t) => {
  const cache = memoryOnly()
  await cache.get(permissions, 'org-1', 'ann', async () => ({ value: ['a.b'], revision: 1 }))
  t.same(await cache.get(permissions, 'org-1', 'ann', async () => ({ value: ['a.c'], revision: 2 }), 2), { value: ['a.c'], revision: 2 })
  await t.rejects(cache.get(permissions, 'org-1', 'ann', async () => ({ value: ['a.c'], revision: 2 }), 3), { name: 'Error' })
})

t.test('clearing a partition drops every entry of it, and only of it', async (t) => {
  const cache = memoryOnly()
  await cache.get(permissions, 'org-1', 'ann', async () => ({ value: ['a.b'], revision: 1 }))
  await cache.get(permissions, 'org-2', 'ann', async () => ({ value: ['a.b'], revision: 1 }))
  await cache.invalidate({ partition: 'org-1', entries: 'all', revision: 2 })
  t.same(await cache.get(permissions, 'org-1', 'ann', async () => ({ value: [], revision: 2 })), { value: [], revision: 2 })
  t.same(await cache.get(permissions, 'org-2', 'ann', async () => ({ value: [], revision: 2 })), { value: ['a.b'], revision: 1 })
})

t.test('L1 is bounded by entries', async (t) => {
  const l1 = new MemoryTier({ maxEntries: 10, maxBytes: 1 << 20 })
  const cache = new TieredCache({ l1, meter: createMetrics({ serviceName: 't' }).meter, log: silent })
  for (let i = 0; i < 100; i++) await cache.get(permissions, 'org-1', `u${i}`, async () => ({ value: ['a.b'], revision: 1 }))
  t.equal(l1.sizeByType().get('user_permissions')?.entries, 10)
})

t.test('L1 is bounded by bytes', async (t) => {
  const l1 = new MemoryTier({ maxEntries: 1000, maxBytes: 4096 })
  const cache = new TieredCache({ l1, meter: createMetrics({ serviceName: 't' }).meter, log: silent })
  const big = Array.from({ length: 50 }, (_, i) => `resource.action_${i}`)
  for (let i = 0; i < 100; i++) await cache.get(permissions, 'org-1', `u${i}`, async () => ({ value: big, revision: 1 }))
  t.ok(l1.sizeByType().get('user_permissions')!.bytes <= 4096)
})

t.test('L2 shares entries between replicas; an invalidation from one reaches Redis for all', async (t) => {
  const { replica } = await withRedis(t)
  const a = replica()
  const b = replica()
  await a.get(permissions, 'org-1', 'ann', async () => ({ value: ['deals.view'], revision: 1 }))
  let loaded = false
  t.same(await b.get(permissions, 'org-1', 'ann', async () => ((loaded = true), { value: [], revision: 1 })), { value: ['deals.view'], revision: 1 })
  t.notOk(loaded, 'the second replica was answered by Redis')
  t.equal(b.stats.snapshot().user_permissions?.l2.hits, 1)
  await a.invalidate({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'ann' }], revision: 2 })
  const c = replica()
  t.same(await c.get(permissions, 'org-1', 'ann', async () => ({ value: [], revision: 2 })), { value: [], revision: 2 })
})

t.test('no stale fill in Redis either: the fill of an old computation is refused after an invalidation', async (t) => {
  const { replica } = await withRedis(t)
  const a = replica()
  const slow = controlledLoad<string[]>()
  const reader = a.get(permissions, 'org-1', 'ann', slow.load)
  await replica().invalidate({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'ann' }], revision: 7 })
  slow.release(['deals.delete'], 6)
  await reader
  const fresh = replica()
  t.same(await fresh.get(permissions, 'org-1', 'ann', async () => ({ value: [], revision: 7 })), { value: [], revision: 7 })
})

t.test('invalidations arriving out of order vouch for nothing until the gap is filled', async (t) => {
  const cache = memoryOnly()
  await cache.invalidate({ partition: 'org-1', entries: [], revision: 1 })
  await cache.get(permissions, 'org-1', 'dave', async () => ({ value: ['a.b'], revision: 1 }))
  // Revision 3 (about bob) arrives before revision 2 (about carl, still on its way); until 2
  // arrives nobody can tell whether dave's entry is still current.
  await cache.invalidate({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'bob' }], revision: 3 })
  let loads = 0
  const load = async () => (loads++, { value: ['a.b'], revision: 3 })
  t.same(await cache.get(permissions, 'org-1', 'dave', load, 3), { value: ['a.b'], revision: 3 })
  t.equal(loads, 1, 'a token of 3 is not answered from the revision-1 entry')
  await cache.invalidate({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'carl' }], revision: 2 })
  t.same(await cache.get(permissions, 'org-1', 'dave', load, 3), { value: ['a.b'], revision: 3 })
  t.equal(loads, 1, 'once 2 arrived, a token of 3 is answered from the cache')
})

t.test('a gap that stays open is closed by clearing the partition', async (t) => {
  const l1 = new MemoryTier({ maxEntries: 100, maxBytes: 1 << 20, gapTimeoutMs: 50 })
  const cache = new TieredCache({ l1, meter: createMetrics({ serviceName: 't' }).meter, log: silent })
  await cache.invalidate({ partition: 'org-1', entries: [], revision: 1 })
  await cache.get(permissions, 'org-1', 'ann', async () => ({ value: ['a.b'], revision: 1 }))
  await cache.invalidate({ partition: 'org-1', entries: [], revision: 3 })
  await new Promise((resolve) => setTimeout(resolve, 60))
  await cache.invalidate({ partition: 'org-1', entries: [], revision: 4 })
  t.same(await cache.get(permissions, 'org-1', 'ann', async () => ({ value: [], revision: 4 })), { value: [], revision: 4 }, 'the entry that revision 2 may have made stale is gone')
})

t.test('Redis applies out-of-order invalidations with the same rules', async (t) => {
  const { replica } = await withRedis(t)
  const writer = replica()
  await writer.invalidate({ partition: 'org-1', entries: [], revision: 1 })
  await writer.get(permissions, 'org-1', 'ann', async () => ({ value: ['a.b'], revision: 1 }))
  await replica().invalidateShared({ partition: 'org-1', entries: [{ type: 'user_permissions', id: 'bob' }], revision: 3 })
  const reader = replica()
  let loads = 0
  const load = async () => (loads++, { value: [] as string[], revision: 3 })
  await reader.get(permissions, 'org-1', 'ann', load, 3)
  t.equal(loads, 1, 'Redis does not vouch for revision 3 while 2 is missing')
  await replica().invalidateShared({ partition: 'org-1', entries: [], revision: 2 })
  const later = replica()
  t.same(await later.get(permissions, 'org-1', 'ann', async () => ({ value: ['x.y'], revision: 3 }), 3), { value: [], revision: 3 })
})
