import type { BusinessDeps } from './business-deps.ts'
import { businessCacheKeys } from './cache-types.ts'
import { InvalidBusinessInputError } from './errors.ts'
import { resolveOrgId } from './org-lookup.ts'
import { writeBusinessChange } from './org-write.ts'

export const PERIOD_PATTERN = '^[0-9]{4}-(0[1-9]|1[0-2])$'

export interface CommissionResult {
  period: string
  organizations: number
  /** Commissions written or corrected now (unchanged ones are not counted). */
  written: number
  /** Commissions removed because their deal is no longer won in the period. */
  removed: number
  /** Won deals without any commission rate that applies. */
  withoutRate: number
}

/** The first instant of the period (`YYYY-MM`) and of the month after it, UTC. */
export function periodBounds(period: string): { from: Date; to: Date } {
  if (!new RegExp(PERIOD_PATTERN).test(period)) throw new InvalidBusinessInputError(`period must be YYYY-MM, got ${JSON.stringify(period)}`)
  const [year, month] = period.split('-').map(Number) as [number, number]
  return { from: new Date(Date.UTC(year, month - 1, 1)), to: new Date(Date.UTC(year, month, 1)) }
}

/**
 * The commissions of a period: one per deal won in it, for its owner, at the rate in force when
 * it was won (the owner's own rate if there is one, else the organization's default; the newest
 * `valid_from` not after the close), rounded to the cent. Written as upserts that change a row
 * only when its figures differ, so running it again for the same period changes nothing; a
 * commission whose deal is no longer won in the period is removed.
 */
export async function calculateCommissions(deps: BusinessDeps, input: { taskId: string; period: string; org?: string | undefined }): Promise<CommissionResult> {
  const { from, to } = periodBounds(input.period)
  const orgIds = input.org
    ? [await resolveOrgId(deps.db, input.org)]
    : (
        await deps.db.$queryRaw<{ org_id: string }[]>`
          SELECT org_id FROM deals WHERE stage = 'won' AND closed_at >= ${from} AND closed_at < ${to}
          UNION SELECT org_id FROM commissions WHERE period = ${input.period}
          ORDER BY org_id`
      ).map((r) => r.org_id)
  const total: CommissionResult = { period: input.period, organizations: 0, written: 0, removed: 0, withoutRate: 0 }
  for (const orgId of orgIds) {
    let withoutRate = 0
    const done = await writeBusinessChange(deps, orgId, async (tx) => {
      const [counts] = await tx.$queryRaw<{ without_rate: number }[]>`
        SELECT count(*)::int AS without_rate FROM deals d
        WHERE d.org_id = ${orgId}::uuid AND d.stage = 'won' AND d.closed_at >= ${from} AND d.closed_at < ${to}
          AND NOT EXISTS (SELECT 1 FROM commission_rates r WHERE r.org_id = d.org_id AND (r.user_id = d.owner_id OR r.user_id IS NULL) AND r.valid_from <= d.closed_at)`
      withoutRate = counts?.without_rate ?? 0
      const written = await tx.$queryRaw<{ user_id: string }[]>`
        INSERT INTO commissions (id, org_id, deal_id, user_id, period, deal_amount, rate, amount, task_id, calculated_at)
        SELECT gen_random_uuid(), d.org_id, d.id, d.owner_id, ${input.period}, d.amount, r.rate, round(d.amount * r.rate, 2), ${input.taskId}::uuid, now()
        FROM deals d
        CROSS JOIN LATERAL (
          SELECT rate FROM commission_rates r
          WHERE r.org_id = d.org_id AND (r.user_id = d.owner_id OR r.user_id IS NULL) AND r.valid_from <= d.closed_at
          ORDER BY (r.user_id IS NULL), r.valid_from DESC, r.id
          LIMIT 1
        ) r
        WHERE d.org_id = ${orgId}::uuid AND d.stage = 'won' AND d.closed_at >= ${from} AND d.closed_at < ${to}
        ON CONFLICT (deal_id, period) DO UPDATE
          SET user_id = EXCLUDED.user_id, deal_amount = EXCLUDED.deal_amount, rate = EXCLUDED.rate, amount = EXCLUDED.amount,
              task_id = EXCLUDED.task_id, calculated_at = EXCLUDED.calculated_at
          WHERE (commissions.user_id, commissions.deal_amount, commissions.rate, commissions.amount)
                IS DISTINCT FROM (EXCLUDED.user_id, EXCLUDED.deal_amount, EXCLUDED.rate, EXCLUDED.amount)
        RETURNING user_id`
      const removed = await tx.$queryRaw<{ user_id: string }[]>`
        DELETE FROM commissions c USING deals d
        WHERE c.deal_id = d.id AND c.org_id = ${orgId}::uuid AND c.period = ${input.period}
          AND NOT (d.stage = 'won' AND d.closed_at >= ${from} AND d.closed_at < ${to})
        RETURNING c.user_id`
      if (written.length === 0 && removed.length === 0) return undefined
      const result = { written: written.length, removed: removed.length }
      return {
        result,
        event: { type: 'commissions.calculated', payload: { task: input.taskId, period: input.period, ...result } },
        stale: [businessCacheKeys.dashboard()],
      }
    })
    total.withoutRate += withoutRate
    if (!done) continue
    total.organizations++
    total.written += done.result.written
    total.removed += done.result.removed
  }
  return total
}
