import type { CacheKey } from '@latchkey/cache'
import { appendEvent, orgWriteInvalidations } from '@latchkey/events'
import type { PermissionContext, RequestMeta } from '../context.ts'
import { OrgNotFoundError } from '@latchkey/errors'
import { bumpRevision, type OrgRow } from '../store/organizations.ts'
import type { Tx } from '../store/transaction.ts'

export interface OrgChange<R> {
  result: R
  /** The change event's type and payload (organization and revision are added here). */
  event: { type: string; payload: Record<string, unknown> }
  /** The cache entries of the organization that the change makes stale. */
  stale: CacheKey[] | 'all'
}

/**
 * The one path of every write to an organization:
 * 1. in one transaction: lock the organization and move its revision forward (`open`, by default
 *    the existing organization named by `slug`), make the change,
 *    record the change event in the outbox;
 * 2. after the commit, drop the entries the change made stale from this process's L1 and from
 *    Redis, so that this replica reflects its own write at once. The same invalidations travel
 *    in the event, for the cache-invalidator to apply everywhere else.
 */
export async function writeToOrg<R>(
  ctx: PermissionContext,
  slug: string,
  meta: RequestMeta,
  change: (tx: Tx, org: OrgRow) => Promise<OrgChange<R>>,
  options: { open?: (tx: Tx) => Promise<OrgRow> } = {},
): Promise<{ result: R; org: OrgRow }> {
  const { org, outcome, invalidations } = await ctx.db.$transaction(async (tx) => {
    const org = options.open ? await options.open(tx) : await openExisting(tx, slug)
    const outcome = await change(tx, org)
    const invalidations = orgWriteInvalidations(org, outcome.stale)
    await appendEvent(tx, {
      type: outcome.event.type,
      orgId: org.id,
      orgSeq: org.revision,
      payload: { org: org.slug, revision: String(org.revision), ...outcome.event.payload },
      invalidations,
      traceContext: meta.traceContext,
    })
    return { org, outcome, invalidations }
  })
  await Promise.all(invalidations.map((invalidation) => ctx.cache.invalidate(invalidation)))
  return { result: outcome.result, org }
}

async function openExisting(tx: Tx, slug: string): Promise<OrgRow> {
  const org = await bumpRevision(tx, slug)
  if (!org) throw new OrgNotFoundError(slug)
  return org
}
