import type { BusinessDeps } from './business-deps.ts'
import { businessCacheKeys } from './cache-types.ts'
import { InvalidBusinessInputError } from './errors.ts'
import { DEAL_STAGES, type DealStage, type VerificationStatus } from './model.ts'
import { writeBusinessChange } from './org-write.ts'

export interface DealRow {
  id: string
  orgId: string
  ownerId: string
  title: string
  amount: string
  stage: DealStage
  verificationStatus: VerificationStatus
  verificationRequestedAt: string | null
  stageChangedAt: string
  closedAt: string | null
  createdAt: string
}

interface RawDeal {
  id: string
  org_id: string
  owner_id: string
  title: string
  amount: string
  stage: DealStage
  verification_status: VerificationStatus
  verification_requested_at: Date | null
  stage_changed_at: Date
  closed_at: Date | null
  created_at: Date
}

const toDeal = (row: RawDeal): DealRow => ({
  id: row.id,
  orgId: row.org_id,
  ownerId: row.owner_id,
  title: row.title,
  amount: row.amount,
  stage: row.stage,
  verificationStatus: row.verification_status,
  verificationRequestedAt: row.verification_requested_at?.toISOString() ?? null,
  stageChangedAt: row.stage_changed_at.toISOString(),
  closedAt: row.closed_at?.toISOString() ?? null,
  createdAt: row.created_at.toISOString(),
})

/** The organization's deals (optionally one owner's), newest first. */
export async function listDeals(deps: BusinessDeps, input: { orgId: string; ownerId?: string | null; limit: number; offset?: number }): Promise<DealRow[]> {
  const rows = await deps.db.$queryRaw<RawDeal[]>`
    SELECT id, org_id, owner_id, title, amount::text AS amount, stage, verification_status, verification_requested_at, stage_changed_at, closed_at, created_at
    FROM deals WHERE org_id = ${input.orgId}::uuid AND (${input.ownerId ?? null}::text IS NULL OR owner_id = ${input.ownerId ?? null})
    ORDER BY created_at DESC, id LIMIT ${input.limit} OFFSET ${input.offset ?? 0}`
  return rows.map(toDeal)
}

/** Creates a deal (stage `lead`, unverified); answers it and the organization's new revision. */
export async function createDeal(
  deps: BusinessDeps,
  input: { orgId: string; ownerId: string; title: string; amount: string },
  traceContext: Record<string, string> = {},
): Promise<{ deal: DealRow; revision: number }> {
  if (!/^[0-9]{1,12}(\.[0-9]{1,2})?$/.test(input.amount)) throw new InvalidBusinessInputError(`amount must be a decimal with up to 2 places, got ${JSON.stringify(input.amount)}`)
  const done = await writeBusinessChange(
    deps,
    input.orgId,
    async (tx) => {
      const [row] = await tx.$queryRaw<RawDeal[]>`
        INSERT INTO deals (id, org_id, owner_id, title, amount) VALUES (gen_random_uuid(), ${input.orgId}::uuid, ${input.ownerId}, ${input.title}, ${input.amount}::numeric)
        RETURNING id, org_id, owner_id, title, amount::text AS amount, stage, verification_status, verification_requested_at, stage_changed_at, closed_at, created_at`
      const deal = toDeal(row!)
      return { result: deal, event: { type: 'deal.created', payload: { deal: deal.id, owner: deal.ownerId } }, stale: businessCacheKeys.dealsChanged([deal.ownerId]) }
    },
    traceContext,
  )
  return { deal: done!.result, revision: done!.revision }
}

/**
 * A person's change to a deal: its stage (recorded in the history with who made it) and/or its
 * verification status. Undefined when there is no such deal in the organization.
 */
export async function updateDeal(
  deps: BusinessDeps,
  input: { orgId: string; dealId: string; changedBy: string; stage?: DealStage; verificationStatus?: VerificationStatus },
  traceContext: Record<string, string> = {},
): Promise<{ deal: DealRow; revision: number } | undefined> {
  if (input.stage !== undefined && !DEAL_STAGES.includes(input.stage)) throw new InvalidBusinessInputError(`stage must be one of ${DEAL_STAGES.join(', ')}`)
  const done = await writeBusinessChange(
    deps,
    input.orgId,
    async (tx) => {
      const [before] = await tx.$queryRaw<{ stage: DealStage; verification_status: VerificationStatus }[]>`
        SELECT stage, verification_status FROM deals WHERE id = ${input.dealId}::uuid AND org_id = ${input.orgId}::uuid FOR UPDATE`
      if (!before) return undefined
      const stage = input.stage ?? before.stage
      const verification = input.verificationStatus ?? before.verification_status
      if (stage === before.stage && verification === before.verification_status) return undefined
      const [row] = await tx.$queryRaw<RawDeal[]>`
        UPDATE deals SET
          stage = ${stage},
          stage_changed_at = CASE WHEN stage <> ${stage} THEN now() ELSE stage_changed_at END,
          closed_at = CASE WHEN ${stage} IN ('won', 'lost') THEN COALESCE(CASE WHEN stage = ${stage} THEN closed_at END, now()) ELSE NULL END,
          verification_status = ${verification},
          verification_requested_at = CASE WHEN ${verification} = 'pending' AND verification_status <> 'pending' THEN now() ELSE verification_requested_at END,
          verified_at = CASE WHEN ${verification} = 'verified' AND verification_status <> 'verified' THEN now() ELSE verified_at END,
          updated_at = now()
        WHERE id = ${input.dealId}::uuid
        RETURNING id, org_id, owner_id, title, amount::text AS amount, stage, verification_status, verification_requested_at, stage_changed_at, closed_at, created_at`
      if (stage !== before.stage) {
        await tx.$executeRaw`
          INSERT INTO deal_stage_history (deal_id, org_id, from_stage, to_stage, changed_by) VALUES (${input.dealId}::uuid, ${input.orgId}::uuid, ${before.stage}, ${stage}, ${input.changedBy})`
      }
      const deal = toDeal(row!)
      return {
        result: deal,
        event: { type: 'deal.updated', payload: { deal: deal.id, by: input.changedBy, stage, verificationStatus: verification } },
        stale: businessCacheKeys.dealsChanged([deal.ownerId]),
      }
    },
    traceContext,
  )
  return done && { deal: done.result, revision: done.revision }
}
