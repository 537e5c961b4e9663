import { resolveOrgId } from '@latchkey/business'
import { Prisma } from '@latchkey/db'
import type { DealsAppContext } from './context.ts'

/**
 * A commission rate from now on: the organization's default, or one user's. Rates are history
 * (the one in force when a deal is won applies), so a new one is added, never changed in place;
 * the next commission calculation uses it. No cached figure depends on rates until then.
 */
export async function addCommissionRate(ctx: DealsAppContext, org: string, input: { rate: string; user?: string | undefined }) {
  const orgId = await resolveOrgId(ctx.business.db, org)
  const row = await ctx.business.db.commissionRate.create({ data: { orgId, userId: input.user ?? null, rate: new Prisma.Decimal(input.rate) } })
  return { orgId, user: row.userId, rate: row.rate.toFixed(4), validFrom: row.validFrom.toISOString() }
}
