import { createDeal, listDeals, periodOf, resolveOrgId, updateDeal, type DealRow } from '@latchkey/business'
import type { EnqueueInput } from '@latchkey/tasks-client'
import { DealNotFoundError } from '../errors.ts'
import type { CreateDealInput, UpdateDealInput } from '../schemas.ts'
import type { DealsAppContext, TraceContext } from './context.ts'

export interface DealWrite {
  deal: DealRow
  revision: number
  tasks: { id: string; type: string; status: string }[]
}

/** The deal workflow runs on the organization after every change to one of its deals. */
const dealAutomation = (orgId: string, revision: number): EnqueueInput => ({
  queue: 'workflow',
  type: 'workflow.deal_automation',
  priority: 'high',
  payload: { org: orgId },
  // One run per write: a retried enqueue of the same write answers the same task.
  idempotencyKey: `deal-automation:${orgId}:${revision}`,
})

/** A won deal earns its owner a commission for the month it was won in. */
const commissionCalculation = (deal: DealRow, revision: number): EnqueueInput => ({
  queue: 'business_processes',
  type: 'business.commission_calculation',
  priority: 'medium',
  payload: { org: deal.orgId, period: periodOf(new Date(deal.closedAt!)) },
  idempotencyKey: `commission:${deal.orgId}:${revision}`,
})

/**
 * Enqueues the tasks a committed write asks for. The write stands whatever happens here: if the
 * task worker's stream cannot be reached the answer lists no tasks and the next write (or the
 * scheduled workflow run) catches up, rather than failing a request whose change is committed.
 */
async function enqueueAfterWrite(ctx: DealsAppContext, inputs: EnqueueInput[]): Promise<DealWrite['tasks']> {
  try {
    const enqueued = await ctx.tasks.enqueueBulk(inputs)
    return enqueued.map((task, i) => ({ id: task.id, type: inputs[i]!.type, status: task.status }))
  } catch (err) {
    ctx.log.warn({ err: { message: (err as Error).message }, types: inputs.map((i) => i.type) }, 'tasks not enqueued after a deal write')
    return []
  }
}

export async function listOrgDeals(ctx: DealsAppContext, org: string, query: { owner?: string | undefined; limit: number; offset: number }): Promise<DealRow[]> {
  const orgId = await resolveOrgId(ctx.business.db, org)
  return listDeals(ctx.business, { orgId, ownerId: query.owner ?? null, limit: query.limit, offset: query.offset })
}

/** A new deal (stage `lead`), owned by `owner` or the acting user; the workflow is enqueued. */
export async function openDeal(ctx: DealsAppContext, org: string, actingUser: string, input: CreateDealInput, trace: TraceContext): Promise<DealWrite> {
  const orgId = await resolveOrgId(ctx.business.db, org)
  const { deal, revision } = await createDeal(ctx.business, { orgId, ownerId: input.owner ?? actingUser, title: input.title, amount: input.amount }, trace)
  return { deal, revision, tasks: await enqueueAfterWrite(ctx, [dealAutomation(orgId, revision)]) }
}

/**
 * A person moves a deal (its stage, its verification status): the workflow is enqueued, and
 * the commission calculation when the deal is won. Changing nothing answers the deal as it is.
 */
export async function changeDeal(ctx: DealsAppContext, org: string, dealId: string, actingUser: string, input: UpdateDealInput, trace: TraceContext): Promise<DealWrite> {
  const orgId = await resolveOrgId(ctx.business.db, org)
  const changed = await updateDeal(ctx.business, { orgId, dealId, changedBy: actingUser, ...input }, trace)
  if (!changed) return unchangedDeal(ctx, org, orgId, dealId)
  const tasks = [dealAutomation(orgId, changed.revision)]
  if (input.stage === 'won') tasks.push(commissionCalculation(changed.deal, changed.revision))
  return { ...changed, tasks: await enqueueAfterWrite(ctx, tasks) }
}

async function unchangedDeal(ctx: DealsAppContext, org: string, orgId: string, dealId: string): Promise<DealWrite> {
  const [found, organization] = await Promise.all([
    ctx.business.db.deal.findFirst({ where: { id: dealId, orgId } }),
    ctx.business.db.organization.findUnique({ where: { id: orgId }, select: { revision: true } }),
  ])
  if (!found || !organization) throw new DealNotFoundError(dealId, org)
  const iso = (at: Date | null) => at?.toISOString() ?? null
  return {
    deal: {
      id: found.id,
      orgId: found.orgId,
      ownerId: found.ownerId,
      title: found.title,
      amount: found.amount.toFixed(2),
      stage: found.stage as DealRow['stage'],
      verificationStatus: found.verificationStatus as DealRow['verificationStatus'],
      verificationRequestedAt: iso(found.verificationRequestedAt),
      stageChangedAt: found.stageChangedAt.toISOString(),
      closedAt: iso(found.closedAt),
      createdAt: found.createdAt.toISOString(),
    },
    revision: Number(organization.revision),
    tasks: [],
  }
}
