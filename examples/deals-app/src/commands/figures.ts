import { dashboard, dealStats, resolveOrgId, type Dashboard, type DealStats } from '@latchkey/business'
import { RevisionNotReachedError, type Revisioned } from '@latchkey/cache'
import { RevisionAheadError } from '../errors.ts'
import type { DealsAppContext } from './context.ts'

const parseRevision = (value: string | undefined): number => (value ? Number(value) : 0)

/** A token newer than the organization's revision is the client's mistake: 409, as on the platform. */
async function withToken<T>(atLeastRevision: string | undefined, read: (minRevision: number) => Promise<Revisioned<T>>): Promise<Revisioned<T>> {
  try {
    return await read(parseRevision(atLeastRevision))
  } catch (err) {
    if (err instanceof RevisionNotReachedError) throw new RevisionAheadError(atLeastRevision ?? '')
    throw err
  }
}

/** Deal statistics (`deal_stats`, 15 min in L1 and Redis; dropped by every change to the organization's deals). */
export async function orgDealStats(ctx: DealsAppContext, org: string, query: { owner?: string | undefined; atLeastRevision?: string | undefined }): Promise<Revisioned<DealStats>> {
  const orgId = await resolveOrgId(ctx.business.db, org)
  return withToken(query.atLeastRevision, (min) => dealStats(ctx.business, orgId, query.owner ?? null, min))
}

/** The organization's dashboard (`dashboard`, 10 min; dropped by changes to deals, commissions and files). */
export async function orgDashboard(ctx: DealsAppContext, org: string, query: { atLeastRevision?: string | undefined }): Promise<Revisioned<Dashboard>> {
  const orgId = await resolveOrgId(ctx.business.db, org)
  return withToken(query.atLeastRevision, (min) => dashboard(ctx.business, orgId, min))
}
