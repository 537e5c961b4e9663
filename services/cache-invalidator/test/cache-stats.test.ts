// GET /v1/cache/stats on the cache-invalidator: what the platform's caches look like from there.
// L2 sizes are counted in Redis, L1 figures are what the replicas report (every 5 s), and the
// invalidation counts match the change events exactly. Each process's own figures are on /metrics.
import t from 'tap'
import { createOrgFixture, timeUntil, waitFor } from '@latchkey/testing'
import {
  cacheStats,
  changeStreamManager,
  metricValue,
  redisKeys,
  startCluster,
  waitForConsumerCaughtUp,
  waitForOutboxPublished,
  type CacheStatsBody,
} from './helpers.ts'

const { deployment, a, b, invalidator } = await startCluster(t)
const manager = await changeStreamManager(t, deployment)

t.test('the stats show L2 per cache type, every replica’s L1 as it reported it, and every invalidation', async (t) => {
  const fx = await createOrgFixture(a, {
    slugPrefix: 'stats',
    roles: { viewer: { permissions: ['deals.view'] }, editor: { permissions: ['deals.edit'], inherits: ['viewer'] } },
    members: { ann: ['viewer'], bob: ['editor'], cid: ['editor'] },
  })
  const rows = await waitForOutboxPublished(deployment.databaseUrl)
  await waitForConsumerCaughtUp(manager, deployment.stream)

  // Reads that fill every cache type: on A, ann three times (a miss, then hits), the role list and
  // one role; on B, bob twice and cid once.
  for (let i = 0; i < 3; i++) await a.check(fx.slug, fx.users.ann, 'deals.view')
  await a.get(`/v1/orgs/${fx.slug}/roles`)
  await a.get(`/v1/orgs/${fx.slug}/roles/viewer`)
  for (let i = 0; i < 2; i++) await b.check(fx.slug, fx.users.bob, 'deals.edit')
  await b.check(fx.slug, fx.users.cid, 'deals.view')
  const readsDone = Date.now()

  // The replicas report every 5 s: wait for a report of each made after the reads.
  const { value: stats, elapsedMs } = await timeUntil(
    'a report of A and of B made after the reads',
    async () => {
      const stats = await cacheStats(invalidator)
      const fresh = (pid: number) => stats.l1.byReplica.some((r) => r.pid === pid && Date.parse(r.reportedAt) > readsDone)
      return fresh(a.pid) && fresh(b.pid) ? stats : undefined
    },
    { timeoutMs: 15_000, intervalMs: 250 },
  )
  t.comment(`fresh L1 reports of both replicas arrived ${elapsedMs.toFixed(0)} ms after the reads`)

  // L1, as the replicas reported it.
  t.equal(stats.l1.replicas, stats.l1.byReplica.length, 'replicas counts the reports')
  t.ok(stats.l1.replicas >= 2, `every process holding an L1 reported (${stats.l1.replicas}, the invalidator included)`)
  const ofA = stats.l1.byReplica.find((r) => r.pid === a.pid)!.types
  const ofB = stats.l1.byReplica.find((r) => r.pid === b.pid)!.types
  t.ok(ofA.user_permissions!.entries >= 1 && ofA.user_permissions!.bytes > 0, `A holds ann’s permissions in L1 (${JSON.stringify(ofA.user_permissions)})`)
  t.ok(ofA.user_permissions!.hits >= 2, 'A counted the two repeated reads as L1 hits')
  t.ok(ofA.user_permissions!.misses >= 1, 'and the first as a miss')
  t.equal(ofA.user_permissions!.hitRatio, ofA.user_permissions!.hits / (ofA.user_permissions!.hits + ofA.user_permissions!.misses), 'hitRatio = hits / (hits + misses)')
  t.ok(ofA.org_roles!.entries === 1 && ofA.role_permissions!.entries >= 1, 'A holds the role list and the role it read')
  t.ok(ofA.organization!.entries >= 1, 'and the organization')
  t.ok(ofB.user_permissions!.entries >= 2, `B holds bob’s and cid’s permissions (${JSON.stringify(ofB.user_permissions)})`)
  t.ok(ofB.user_permissions!.hits >= 1, 'B counted bob’s second read as a hit')
  for (const type of ['organization', 'user_permissions']) {
    const total = stats.l1.types[type]!
    const sum = stats.l1.byReplica.reduce((acc, r) => ({ entries: acc.entries + (r.types[type]?.entries ?? 0), hits: acc.hits + (r.types[type]?.hits ?? 0) }), { entries: 0, hits: 0 })
    t.same({ entries: total.entries, hits: total.hits }, sum, `l1.types.${type} adds up the replicas`)
  }

  // L2, counted in Redis: exactly the keys under the prefix, per type.
  const l2 = await waitFor('L2 figures to match a scan of Redis', async () => {
    const [stats, keys] = await Promise.all([cacheStats(invalidator), redisKeys(deployment.redisUrl, deployment.redisPrefix)])
    const counted: Record<string, number> = {}
    for (const key of keys) {
      const type = key.slice(deployment.redisPrefix.length).split(':', 1)[0]!
      if (type !== 'marks') counted[type] = (counted[type] ?? 0) + 1
    }
    const reported = Object.fromEntries(Object.entries(stats.l2.types).map(([type, s]) => [type, s.entries]))
    return JSON.stringify(Object.entries(reported).sort()) === JSON.stringify(Object.entries(counted).sort()) ? { stats, counted } : undefined
  })
  const l2Stats: CacheStatsBody['l2'] = l2.stats.l2
  t.equal(l2Stats.available, true, 'L2 is available')
  t.same(Object.keys(l2Stats.types).sort(), ['org_roles', 'organization', 'role_permissions', 'user_permissions'], 'every cache type that was read has entries in Redis')
  t.comment(`L2: ${JSON.stringify(l2Stats.types)}`)
  for (const [type, s] of Object.entries(l2Stats.types)) {
    t.equal(s.entries, l2.counted[type], `${type}: ${s.entries} entries, as many as Redis holds`)
    t.ok(s.bytes >= s.entries * 16, `${type}: ${s.bytes} bytes (Redis’s own measure)`)
    t.equal(s.partial, false, `${type}: a full count`)
  }
  t.ok(l2Stats.types.user_permissions!.misses >= 3, 'L2 misses as the replicas reported them (ann, bob and cid were first read from PostgreSQL)')

  // Invalidations: one per change event, with exactly the entries and partitions the events carry.
  const expected = {
    events: rows.length,
    entries: rows.flatMap((r) => r.invalidations).reduce((n, i) => n + (i.entries === 'all' ? 1 : i.entries.length), 0),
    partitions: rows.reduce((n, r) => n + r.invalidations.length, 0),
    failures: 0,
  }
  const { events, entries, partitions, failures, delayMs } = stats.invalidations
  t.same({ events, entries, partitions, failures }, expected, `invalidations: ${JSON.stringify(expected)}`)
  t.equal(delayMs.samples, rows.length, 'one delay sample per event')
  t.ok(delayMs.p50 <= delayMs.p99 && delayMs.p99 <= delayMs.max, `delay percentiles are ordered (${JSON.stringify(delayMs)})`)
  t.ok(delayMs.max < 5_000, 'and each event was applied within seconds of its commit')

  // Each process's own figures on its /metrics.
  const [metricsA, metricsB, metricsI] = await Promise.all([a.metrics(), b.metrics(), invalidator.metrics()])
  for (const [name, text] of [['A', metricsA], ['B', metricsB]] as const) {
    const count = metricValue(text, 'latchkey_cache_invalidation_delay_seconds_count')
    t.ok(count !== undefined && count > 0, `${name}: latchkey_cache_invalidation_delay_seconds counts the fan-outs it received (${count})`)
    t.ok(metricValue(text, 'latchkey_cache_invalidation_delay_seconds_bucket', { le: '+Inf' }) === count, `${name}: as a histogram with buckets`)
  }
  const hitsOnA = metricValue(metricsA, 'latchkey_cache_requests_total', { cache_type: 'user_permissions', cache_level: 'l1', cache_result: 'hit' })
  t.ok(hitsOnA !== undefined && hitsOnA >= ofA.user_permissions!.hits, `A's own L1 hit counter is on its /metrics (${hitsOnA})`)
  const byCause = (cause: string) => metricValue(metricsI, 'latchkey_cache_invalidations_total', { cause })
  t.equal(metricValue(metricsI, 'latchkey_cache_invalidations_total'), rows.length, 'the invalidator: latchkey_cache_invalidations_total counts every event')
  for (const cause of new Set(rows.map((r) => r.type))) {
    t.equal(byCause(cause), rows.filter((r) => r.type === cause).length, `  of which ${cause}: ${byCause(cause)}`)
  }
})

t.test('one write adds exactly its event, entries and partitions to the counts', async (t) => {
  const fx = await createOrgFixture(a, { slugPrefix: 'stats2', roles: { viewer: { permissions: ['deals.view'] } }, members: { ann: ['viewer'] } })
  await b.check(fx.slug, fx.users.ann, 'deals.view')
  await waitForOutboxPublished(deployment.databaseUrl)
  await waitForConsumerCaughtUp(manager, deployment.stream)
  const before = await cacheStats(invalidator)
  const res = await a.put(`/v1/orgs/${fx.slug}/members/${fx.users.ann}`, { roles: [] })
  t.equal(res.status, 200)
  const after = await waitFor('the invalidator to apply the write', async () => {
    const stats = await cacheStats(invalidator)
    return stats.invalidations.events > before.invalidations.events ? stats : undefined
  })
  t.equal(after.invalidations.events, before.invalidations.events + 1, 'one more event')
  // A membership change: the user's permissions in the organization, and the organization entry by slug.
  t.equal(after.invalidations.entries, before.invalidations.entries + 2, 'two more entries: the user’s permissions and the organization by slug')
  t.equal(after.invalidations.partitions, before.invalidations.partitions + 2, 'in two partitions: the organization’s id and its slug')
  t.equal(after.invalidations.delayMs.samples, before.invalidations.delayMs.samples + 1, 'one more delay sample')
})
