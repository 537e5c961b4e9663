import type { BusinessDeps } from './business-deps.ts'
import { dashboard, dealStats } from './read-figures.ts'

/**
 * Makes sure the business figures of the organizations (default: every live organization with
 * deals) are in the cache: each organization's deal statistics and dashboard are read through it,
 * which computes and stores the missing ones. Entries present are current (invalidations are
 * exact), so they are left as they are.
 */
export async function warmBusinessCaches(deps: BusinessDeps, input: { orgIds?: string[] | undefined; limit: number }): Promise<{ organizations: number; entries: number }> {
  if (!deps.cache) return { organizations: 0, entries: 0 }
  const orgIds =
    input.orgIds ??
    (
      await deps.db.$queryRaw<{ id: string }[]>`
        SELECT o.id FROM organizations o WHERE o.deleted_at IS NULL AND EXISTS (SELECT 1 FROM deals d WHERE d.org_id = o.id)
        ORDER BY o.id LIMIT ${input.limit}`
    ).map((row) => row.id)
  for (const orgId of orgIds) {
    await dealStats(deps, orgId)
    await dashboard(deps, orgId)
  }
  return { organizations: orgIds.length, entries: orgIds.length * 2 }
}
