import type { BusinessDeps } from './business-deps.ts'
import { businessCacheKeys } from './cache-types.ts'
import { OPEN_STAGES, type DealStage, type VerificationStatus } from './model.ts'
import { resolveOrgId } from './org-lookup.ts'
import { writeBusinessChange } from './org-write.ts'
import { nextMove, type DealMove } from './workflow-rules.ts'

export interface DealAutomationResult {
  organizations: number
  advanced: number
  verificationRequested: number
  byRule: Record<string, number>
}

interface OpenDeal {
  id: string
  owner_id: string
  stage: DealStage
  verification_status: VerificationStatus
  amount: string
  stage_changed_at: Date
}

const openStages = [...OPEN_STAGES]

/**
 * Applies the workflow rules to the open deals of one organization (`org`: id or slug) or of
 * every organization that has some, one transaction per organization. Each move is recorded in
 * `deal_stage_history` with the task's id; a deal already moved by this task is left alone, so a
 * redelivered task moves nothing twice.
 */
export async function runDealAutomation(deps: BusinessDeps, input: { taskId: string; org?: string | undefined; now: Date }): Promise<DealAutomationResult> {
  const orgIds = input.org
    ? [await resolveOrgId(deps.db, input.org)]
    : (await deps.db.$queryRaw<{ org_id: string }[]>`SELECT DISTINCT org_id FROM deals WHERE stage = ANY(${openStages}::text[]) ORDER BY org_id`).map((r) => r.org_id)
  const total: DealAutomationResult = { organizations: 0, advanced: 0, verificationRequested: 0, byRule: {} }
  for (const orgId of orgIds) {
    const done = await writeBusinessChange(deps, orgId, async (tx) => {
      const deals = await tx.$queryRaw<OpenDeal[]>`
        SELECT d.id, d.owner_id, d.stage, d.verification_status, d.amount::text AS amount, d.stage_changed_at
        FROM deals d
        WHERE d.org_id = ${orgId}::uuid AND d.stage = ANY(${openStages}::text[])
          AND NOT EXISTS (SELECT 1 FROM deal_stage_history h WHERE h.deal_id = d.id AND h.task_id = ${input.taskId}::uuid)
        ORDER BY d.id
        FOR UPDATE OF d`
      const moves: (OpenDeal & DealMove)[] = []
      for (const deal of deals) {
        const move = nextMove({ stage: deal.stage, verificationStatus: deal.verification_status, amount: deal.amount, stageChangedAt: deal.stage_changed_at }, input.now)
        if (move) moves.push({ ...deal, ...move })
      }
      if (moves.length === 0) return undefined
      const ids = moves.map((m) => m.id)
      const to = moves.map((m) => m.to)
      const verify = moves.map((m) => m.requestVerification)
      await tx.$executeRaw`
        UPDATE deals d SET
          stage = m.to_stage,
          stage_changed_at = ${input.now},
          updated_at = ${input.now},
          closed_at = CASE WHEN m.to_stage IN ('won', 'lost') THEN ${input.now} ELSE d.closed_at END,
          verification_status = CASE WHEN m.verify THEN 'pending' ELSE d.verification_status END,
          verification_requested_at = CASE WHEN m.verify THEN ${input.now} ELSE d.verification_requested_at END
        FROM unnest(${ids}::uuid[], ${to}::text[], ${verify}::boolean[]) AS m(id, to_stage, verify)
        WHERE d.id = m.id`
      await tx.$executeRaw`
        INSERT INTO deal_stage_history (deal_id, org_id, from_stage, to_stage, rule, task_id, changed_at)
        SELECT m.id, ${orgId}::uuid, m.from_stage, m.to_stage, m.rule, ${input.taskId}::uuid, ${input.now}
        FROM unnest(${ids}::uuid[], ${moves.map((m) => m.stage)}::text[], ${to}::text[], ${moves.map((m) => m.rule)}::text[]) AS m(id, from_stage, to_stage, rule)`
      const byRule: Record<string, number> = {}
      for (const move of moves) byRule[move.rule] = (byRule[move.rule] ?? 0) + 1
      const result = { advanced: moves.length, verificationRequested: verify.filter(Boolean).length, byRule }
      return {
        result,
        event: { type: 'deals.advanced', payload: { task: input.taskId, ...result } },
        stale: businessCacheKeys.dealsChanged(moves.map((m) => m.owner_id)),
      }
    })
    if (!done) continue
    total.organizations++
    total.advanced += done.result.advanced
    total.verificationRequested += done.result.verificationRequested
    for (const [rule, n] of Object.entries(done.result.byRule)) total.byRule[rule] = (total.byRule[rule] ?? 0) + n
  }
  return total
}
