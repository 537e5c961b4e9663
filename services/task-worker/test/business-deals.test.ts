import { calculateCommissions, dealStats, loadDealStats, nextMove, periodOf, runDealAutomation, type DealStage, type VerificationStatus } from '@latchkey/business'
import { Redis } from 'ioredis'
import t from 'tap'
import { orgRevisions, runTask, seedNow, startBusinessPlatform } from './business-helpers.ts'
import { queryDatabase, waitFor } from '@latchkey/testing'

interface DealState {
  id: string
  org_id: string
  stage: DealStage
  verification_status: VerificationStatus
  amount: string
  stage_changed_at: Date
}

const dealStates = async (databaseUrl: string) =>
  queryDatabase<DealState>(databaseUrl, 'SELECT id, org_id, stage, verification_status, amount::text, stage_changed_at FROM deals ORDER BY id')

t.test('workflow.deal_automation advances the generated deals by the rules, records the history, and invalidates the cached deal statistics', async (t) => {
  const platform = await startBusinessPlatform(t)
  const { databaseUrl, deps } = platform
  const before = await dealStates(databaseUrl)
  t.equal(before.length, 36, 'the data generator made 12 deals in each of 3 organizations')
  const now = new Date()
  const expected = new Map(before.flatMap((deal) => {
    const move = nextMove({ stage: deal.stage, verificationStatus: deal.verification_status, amount: deal.amount, stageChangedAt: deal.stage_changed_at }, now)
    return move ? [[deal.id, move] as const] : []
  }))
  t.ok(expected.size > 0, `the generated data has deals the rules move (${expected.size})`)

  // Cache the statistics of every organization (L1 and Redis) before the change.
  const redis = new Redis(platform.app.config.REDIS_URL)
  t.teardown(() => redis.disconnect())
  const cached = new Map<string, number>()
  for (const orgId of platform.orgIds.values()) cached.set(orgId, (await dealStats(deps, orgId)).revision)
  const statsKeys = async () => (await redis.keys(`${platform.redisPrefix}deal_stats:*`)).length
  t.equal(await statsKeys(), 3, 'deal statistics of the 3 organizations are in Redis')

  const task = await runTask(platform, { queue: 'workflow', type: 'workflow.deal_automation' })
  t.equal(task.status, 'succeeded', task.error ?? '')
  const result = task.result as { advanced: number; byRule: Record<string, number>; organizations: number }
  t.equal(result.advanced, expected.size, 'every deal a rule applies to moved')

  const after = new Map((await dealStates(databaseUrl)).map((deal) => [deal.id, deal]))
  for (const [id, move] of expected) t.equal(after.get(id)!.stage, move.to, `deal ${id.slice(0, 8)} moved by ${move.rule}`)
  const history = await queryDatabase<{ deal_id: string; to_stage: string; rule: string }>(databaseUrl, 'SELECT deal_id, to_stage, rule FROM deal_stage_history WHERE task_id = $1', [task.id])
  t.equal(history.length, expected.size, 'one history row per move, carrying the task id')
  t.ok(history.every((row) => expected.get(row.deal_id)?.rule === row.rule), 'each history row names the rule that moved the deal')

  // The change event travelled outbox → relay → invalidator: the cached statistics are gone from Redis...
  const moved = new Set(before.filter((deal) => expected.has(deal.id)).map((deal) => deal.org_id))
  await waitFor('the invalidated deal statistics to leave Redis', async () => ((await statsKeys()) === 3 - moved.size ? true : undefined))
  // ...and a read through the cache answers the new figures, at the new revision.
  for (const orgId of moved) {
    const fresh = await dealStats(deps, orgId)
    t.ok(fresh.revision > cached.get(orgId)!, 'the statistics are read at the revision of the change')
    t.same(fresh.value, (await loadDealStats(deps, orgId)).value, 'and show the deals as they are now')
  }

  // Redelivery: the same task again changes nothing (no move, no revision, no event).
  const revisions = await orgRevisions(databaseUrl)
  const again = await runDealAutomation(deps, { taskId: task.id, now: new Date() })
  t.equal(again.advanced, 0, 'a redelivered task moves nothing twice')
  t.same(await orgRevisions(databaseUrl), revisions, 'and writes no revision')
})

t.test('business.commission_calculation writes one commission per won deal and period at the rate in force, once', async (t) => {
  const platform = await startBusinessPlatform(t)
  const { databaseUrl, deps } = platform
  const period = periodOf(seedNow())
  const won = platform.business.deals.filter((deal) => deal.stage === 'won' && periodOf(new Date(deal.closedAt!)) === period)
  t.ok(won.length > 0, `the generated data has deals won in ${period} (${won.length})`)

  const task = await runTask(platform, { queue: 'business_processes', type: 'business.commission_calculation', payload: { period } })
  t.equal(task.status, 'succeeded', task.error ?? '')
  const rows = await queryDatabase<{ deal_id: string; user_id: string; rate: string; amount: string; deal_amount: string }>(
    databaseUrl,
    'SELECT deal_id, user_id, rate::text, amount::text, deal_amount::text FROM commissions WHERE period = $1',
    [period],
  )
  t.equal(rows.length, won.length, 'one commission per deal won in the period')
  t.equal((task.result as { written: number }).written, won.length)
  for (const row of rows) {
    const deal = won.find((d) => d.id === row.deal_id)!
    const own = platform.business.rates.find((r) => r.org === deal.org && r.user === deal.owner)
    const rate = own ?? platform.business.rates.find((r) => r.org === deal.org && r.user === null)!
    t.equal(row.rate, rate.rate, `deal ${deal.id.slice(0, 8)}: ${own ? "the owner's own rate" : "the organization's default rate"}`)
    t.equal(row.amount, (Math.round(Number(deal.amount) * Number(rate.rate) * 100) / 100).toFixed(2), 'amount × rate, to the cent')
    t.equal(row.user_id, deal.owner, 'earned by the owner')
  }

  const revisions = await orgRevisions(databaseUrl)
  const calculatedAt = await queryDatabase(databaseUrl, 'SELECT id, calculated_at FROM commissions ORDER BY id')
  const second = await runTask(platform, { queue: 'business_processes', type: 'business.commission_calculation', payload: { period } })
  t.equal((second.result as { written: number }).written, 0, 'a second run writes nothing')
  t.same(await queryDatabase(databaseUrl, 'SELECT id, calculated_at FROM commissions ORDER BY id'), calculatedAt, 'the rows are untouched')
  t.same(await orgRevisions(databaseUrl), revisions, 'no revision, no change event')
  const redelivered = await calculateCommissions(deps, { taskId: task.id, period })
  t.equal(redelivered.written, 0, 'nor does the first task delivered again')
})
