import { MemoryTier, TieredCache } from '@latchkey/cache'
import { createPrismaClient } from '@latchkey/db'
import { createMetrics } from '@latchkey/telemetry'
import { createTestDatabase } from '@latchkey/testing'
import t from 'tap'
import { businessCacheTypes, createDeal, dealStats, listDeals, registerBusinessWarmers, updateDeal, type BusinessDeps } from '../src/index.ts'

async function setup(t: { teardown(fn: () => unknown): void }) {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const db = createPrismaClient({ url: database.url, poolSize: 2 })
  t.teardown(() => db.$disconnect())
  const [org] = await db.$queryRaw<{ id: string }[]>`
    INSERT INTO organizations (id, slug, name, revision, created_at, updated_at) VALUES (gen_random_uuid(), 'acme', 'Acme', 7, now(), now()) RETURNING id`
  const deps: BusinessDeps = { db, types: businessCacheTypes() }
  const outbox = () =>
    db.$queryRaw<{ type: string; org_seq: bigint; payload: { invalidations: { partition: string; revision: number; entries: unknown }[] } }[]>`
      SELECT type, org_seq, payload FROM outbox_events ORDER BY id`
  return { db, deps, orgId: org!.id, outbox }
}

t.test('a deal write moves the revision and records the change event with exact invalidations', async (t) => {
  const { deps, orgId, outbox } = await setup(t)
  const created = await createDeal(deps, { orgId, ownerId: 'usr_ann', title: 'Renewal', amount: '12500.5' })
  t.equal(created.revision, 8, 'the organization revision moved by one')
  t.match(created.deal, { orgId, ownerId: 'usr_ann', amount: '12500.50', stage: 'lead', verificationStatus: 'unverified' })
  const [event] = await outbox()
  t.equal(event!.type, 'deal.created')
  t.equal(event!.org_seq, 8n, 'the event carries the revision as its sequence')
  t.same(event!.payload.invalidations, [
    {
      partition: orgId,
      revision: 8,
      entries: [{ type: 'deal_stats', id: '*' }, { type: 'deal_stats', id: 'usr_ann' }, { type: 'dashboard', id: '*' }],
    },
    { partition: 'slug:acme', revision: 8, entries: [{ type: 'organization', id: 'acme' }] },
  ], "the organization's and the owner's statistics, the dashboard, and the organization entry")

  const moved = await updateDeal(deps, { orgId, dealId: created.deal.id, changedBy: 'usr_bob', stage: 'won', verificationStatus: 'verified' })
  t.equal(moved?.revision, 9)
  t.match(moved?.deal, { stage: 'won', verificationStatus: 'verified' })
  t.ok(moved?.deal.closedAt, 'a won deal is closed')
  const history = await deps.db.$queryRaw<{ from_stage: string; to_stage: string; changed_by: string }[]>`SELECT from_stage, to_stage, changed_by FROM deal_stage_history`
  t.same(history, [{ from_stage: 'lead', to_stage: 'won', changed_by: 'usr_bob' }], 'the stage change is in the history, with who made it')

  const stats = await dealStats(deps, orgId)
  t.match(stats, { revision: 9, value: { total: 1, wonAmount: '12500.50', pipelineAmount: '0.00', byVerification: { verified: 1 } } })

  t.equal(await updateDeal(deps, { orgId, dealId: created.deal.id, changedBy: 'usr_bob', stage: 'won' }), undefined, 'a change to the same state changes nothing')
  t.equal(await updateDeal(deps, { orgId, dealId: '00000000-0000-4000-8000-000000000000', changedBy: 'usr_bob', stage: 'lost' }), undefined, 'nor does an unknown deal')
  t.equal((await outbox()).length, 2, 'and neither writes an event')
  t.same((await listDeals(deps, { orgId, limit: 10 })).map((d) => d.id), [created.deal.id], 'the deal is listed')
  t.same(await listDeals(deps, { orgId, ownerId: 'usr_bob', limit: 10 }), [], "and not among another owner's")
  await t.rejects(createDeal(deps, { orgId, ownerId: 'usr_ann', title: 'x', amount: '1e5' }), { code: 'LK_ERR_INVALID_BUSINESS_INPUT' })
  await t.rejects(createDeal(deps, { orgId: '00000000-0000-4000-8000-000000000000', ownerId: 'usr_ann', title: 'x', amount: '1' }), { code: 'LK_ERR_ORG_NOT_FOUND' })
})

t.test('through an L1 cache, a write drops the figures it changed and the warmers compute them again', async (t) => {
  const { db, orgId } = await setup(t)
  const silent = { debug() {}, info() {}, warn() {}, error() {} }
  const cache = new TieredCache({ l1: new MemoryTier({ maxEntries: 100, maxBytes: 1 << 20 }), meter: createMetrics({ serviceName: 't' }).meter, log: silent, warmWindowMs: 60_000 })
  const deps: BusinessDeps = { db, cache, types: businessCacheTypes() }
  registerBusinessWarmers(deps)
  // A first write gives this process its marks of the organization (before them, the first
  // invalidation it sees clears the whole partition: nothing older can be vouched for).
  await createDeal(deps, { orgId, ownerId: 'usr_bob', title: 'Pilot', amount: '50' })
  t.match(await dealStats(deps, orgId), { revision: 8, value: { total: 1 } })
  t.match(await dealStats(deps, orgId, 'usr_ann'), { revision: 8, value: { total: 0 } })
  t.match(await dealStats(deps, orgId, 'usr_bob'), { revision: 8, value: { total: 1 } })

  await createDeal(deps, { orgId, ownerId: 'usr_ann', title: 'Renewal', amount: '100' })
  await new Promise((resolve) => setTimeout(resolve, 200))
  t.equal(cache.warmed.entries, 2, "the organization's and the owner's statistics were computed again")
  t.match(cache.peek(deps.types.dealStats, orgId, '*'), { revision: 9, value: { total: 2 } }, 'and are in L1 at the new revision')
  t.match(cache.peek(deps.types.dealStats, orgId, 'usr_ann'), { revision: 9, value: { total: 1 } })
  t.match(cache.peek(deps.types.dealStats, orgId, 'usr_bob'), { revision: 9, value: { total: 1 } }, "another owner's entry stays, current as of the new revision")
})
