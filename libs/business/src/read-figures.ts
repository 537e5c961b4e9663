import type { Revisioned } from '@latchkey/cache'
import { Prisma } from '@latchkey/db'
import type { Tx } from '@latchkey/events'
import type { BusinessDeps } from './business-deps.ts'
import { dashboardId, dealStatsId } from './cache-types.ts'
import { OrgNotFoundError } from '@latchkey/errors'
import { DEAL_STAGES, OPEN_STAGES, periodOf, VERIFICATION_STATUSES, type Dashboard, type DealStage, type DealStats, type VerificationStatus } from './model.ts'

const zero = '0.00'
const sum = (amounts: string[]): string => amounts.reduce((total, amount) => total.add(new Prisma.Decimal(amount)), new Prisma.Decimal(0)).toFixed(2)

/**
 * Figures are read in one REPEATABLE READ transaction together with the organization's revision,
 * so the revision they are tagged with is exactly the state they show (the cache refuses a fill
 * older than an invalidation it has applied).
 */
function inSnapshot<T>(deps: BusinessDeps, read: (tx: Tx, revision: number) => Promise<T>, orgId: string): Promise<Revisioned<T>> {
  return deps.db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<{ revision: bigint }[]>`SELECT revision FROM organizations WHERE id = ${orgId}::uuid AND deleted_at IS NULL`
      if (!rows[0]) throw new OrgNotFoundError(orgId)
      const revision = Number(rows[0].revision)
      return { value: await read(tx, revision), revision }
    },
    { isolationLevel: Prisma.TransactionIsolationLevel.RepeatableRead },
  )
}

type StatsRow = { owner_id: string; stage: string; verification_status: string; n: number; amount: string }

/** Deal counts and sums by owner, stage and verification: everything the statistics are made of. */
function readStatsRows(tx: Tx, orgId: string, owners: string[] | null): Promise<StatsRow[]> {
  return tx.$queryRaw<StatsRow[]>`
    SELECT owner_id, stage, verification_status, count(*)::int AS n, sum(amount)::text AS amount
    FROM deals WHERE org_id = ${orgId}::uuid AND (${owners}::text[] IS NULL OR owner_id = ANY(${owners}::text[]))
    GROUP BY owner_id, stage, verification_status`
}

/** The statistics of the rows (of the whole organization, or already restricted to one owner). */
function statsOf(orgId: string, ownerId: string | null, rows: StatsRow[]): DealStats {
  const byStage = Object.fromEntries(DEAL_STAGES.map((stage) => [stage, { count: 0, amount: zero }])) as DealStats['byStage']
  const byVerification = Object.fromEntries(VERIFICATION_STATUSES.map((status) => [status, 0])) as DealStats['byVerification']
  for (const row of rows) {
    const stage = byStage[row.stage as DealStage]
    if (stage) {
      stage.count += row.n
      stage.amount = sum([stage.amount, row.amount])
    }
    if (row.verification_status in byVerification) byVerification[row.verification_status as VerificationStatus] += row.n
  }
  return {
    orgId,
    ownerId,
    total: rows.reduce((n, row) => n + row.n, 0),
    byStage,
    byVerification,
    pipelineAmount: sum(OPEN_STAGES.map((stage) => byStage[stage].amount)),
    wonAmount: byStage.won.amount,
  }
}

/** The statistics of several entries (`*` and owners) of one organization, from one query. */
async function readDealStatsMany(tx: Tx, orgId: string, ids: string[]): Promise<Map<string, DealStats>> {
  const whole = dealStatsId()
  const owners = ids.filter((id) => id !== whole)
  const rows = await readStatsRows(tx, orgId, ids.includes(whole) ? null : owners)
  return new Map(ids.map((id) => (id === whole ? [id, statsOf(orgId, null, rows)] : [id, statsOf(orgId, id, rows.filter((row) => row.owner_id === id))])))
}

async function readDashboard(tx: Tx, orgId: string, now: Date): Promise<Dashboard> {
  const stats = (await readDealStatsMany(tx, orgId, [dealStatsId()])).get(dealStatsId())!
  const period = periodOf(now)
  const [commissions] = await tx.$queryRaw<{ n: number; amount: string }[]>`
    SELECT count(*)::int AS n, COALESCE(sum(amount), 0)::numeric(14,2)::text AS amount
    FROM commissions WHERE org_id = ${orgId}::uuid AND period = ${period}`
  const files = await tx.$queryRaw<{ status: string; n: number; rows: number }[]>`
    SELECT status, count(*)::int AS n, COALESCE(sum(row_count), 0)::int AS rows
    FROM uploaded_files WHERE org_id = ${orgId}::uuid GROUP BY status`
  const recent = await tx.$queryRaw<{ deal_id: string; title: string; from_stage: string | null; to_stage: string; rule: string | null; changed_at: Date }[]>`
    SELECT h.deal_id, d.title, h.from_stage, h.to_stage, h.rule, h.changed_at
    FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id
    WHERE h.org_id = ${orgId}::uuid ORDER BY h.changed_at DESC, h.id DESC LIMIT 10`
  const fileCount = (status: string) => files.find((row) => row.status === status)?.n ?? 0
  return {
    orgId,
    deals: {
      open: OPEN_STAGES.reduce((n, stage) => n + stats.byStage[stage].count, 0),
      won: stats.byStage.won.count,
      lost: stats.byStage.lost.count,
      pipelineAmount: stats.pipelineAmount,
      wonAmount: stats.wonAmount,
    },
    verification: { pending: stats.byVerification.pending, verified: stats.byVerification.verified, rejected: stats.byVerification.rejected },
    commissions: { period, count: commissions?.n ?? 0, amount: commissions?.amount ?? zero },
    files: { pending: fileCount('pending'), processed: fileCount('processed'), failed: fileCount('failed'), rows: files.reduce((n, row) => n + row.rows, 0) },
    recentStageChanges: recent.map((row) => ({ dealId: row.deal_id, title: row.title, from: row.from_stage, to: row.to_stage, rule: row.rule, at: row.changed_at.toISOString() })),
  }
}

/** Deal statistics of the organization (or of one owner's deals), from the source. */
export async function loadDealStats(deps: BusinessDeps, orgId: string, ownerId: string | null = null): Promise<Revisioned<DealStats>> {
  const id = dealStatsId(ownerId)
  const { value, revision } = await inSnapshot(deps, (tx) => readDealStatsMany(tx, orgId, [id]), orgId)
  return { value: value.get(id)!, revision }
}

/** The organization's dashboard, from the source. */
export const loadDashboard = (deps: BusinessDeps, orgId: string, now = new Date()): Promise<Revisioned<Dashboard>> =>
  inSnapshot(deps, (tx) => readDashboard(tx, orgId, now), orgId)

/**
 * Deal statistics through the cache (`deal_stats`, 15 min), current at least as of `minRevision`
 * (the revision a client's own write answered). Without a cache: from the source.
 */
export function dealStats(deps: BusinessDeps, orgId: string, ownerId: string | null = null, minRevision = 0): Promise<Revisioned<DealStats>> {
  const load = () => loadDealStats(deps, orgId, ownerId)
  return deps.cache ? deps.cache.get(deps.types.dealStats, orgId, dealStatsId(ownerId), load, minRevision) : load()
}

/** The dashboard through the cache (`dashboard`, 10 min), current at least as of `minRevision`. */
export function dashboard(deps: BusinessDeps, orgId: string, minRevision = 0): Promise<Revisioned<Dashboard>> {
  const load = () => loadDashboard(deps, orgId)
  return deps.cache ? deps.cache.get(deps.types.dashboard, orgId, dashboardId(), load, minRevision) : load()
}

/**
 * Lets the cache compute both types again by itself (warming after an invalidation and before
 * expiry), a partition's entries in one snapshot: call once per process that reads them through
 * the cache.
 */
export function registerBusinessWarmers(deps: BusinessDeps): void {
  const cache = deps.cache
  if (!cache) return
  cache.registerWarmer(deps.types.dealStats, async (orgId, ids) => {
    const { value, revision } = await inSnapshot(deps, (tx) => readDealStatsMany(tx, orgId, ids), orgId)
    return { revision, values: value }
  })
  cache.registerWarmer(deps.types.dashboard, async (orgId) => {
    const { value, revision } = await loadDashboard(deps, orgId)
    return { revision, values: new Map([[dashboardId(), value]]) }
  })
}
