import type { CacheKey } from '@latchkey/cache'
import { slugPartition } from '../cache-types.ts'
import type { PermissionContext, RequestMeta } from '../context.ts'
import { OrgNotFoundError } from '../errors.ts'
import { appendEvent } from '../store/outbox.ts'
import { bumpRevision, type OrgRow } from '../store/organizations.ts'
import type { Tx } from '../store/transaction.ts'

export interface OrgChange<R> {
  result: R
  /** The change event's type and payload (organization and revision are added here). */
  event: { type: string; payload: Record<string, unknown> }
  /** The cache entries of the organization that the change makes stale. */
  stale: CacheKey[] | 'whole-organization'
}

/**
 * The one path of every write to an organization:
 * 1. in one transaction: lock the organization and move its revision forward (`open`, by default
 *    the existing organization named by `slug`), make the change,
 *    record the change event in the outbox;
 * 2. after the commit, drop the entries the change made stale from this process's L1 and from
 *    Redis, so that this replica reflects its own write at once.
 */
export async function writeToOrg<R>(
  ctx: PermissionContext,
  slug: string,
  meta: RequestMeta,
  change: (tx: Tx, org: OrgRow) => Promise<OrgChange<R>>,
  options: { open?: (tx: Tx) => Promise<OrgRow> } = {},
): Promise<{ result: R; org: OrgRow }> {
  const { org, outcome } = await ctx.db.$transaction(async (tx) => {
    const org = options.open ? await options.open(tx) : await openExisting(tx, slug)
    const outcome = await change(tx, org)
    await appendEvent(tx, {
      type: outcome.event.type,
      orgId: org.id,
      orgSeq: org.revision,
      payload: { org: org.slug, revision: String(org.revision), ...outcome.event.payload },
      traceContext: meta.traceContext,
    })
    return { org, outcome }
  })
  await dropStaleEntries(ctx, org, outcome.stale)
  return { result: outcome.result, org }
}

async function openExisting(tx: Tx, slug: string): Promise<OrgRow> {
  const org = await bumpRevision(tx, slug)
  if (!org) throw new OrgNotFoundError(slug)
  return org
}

async function dropStaleEntries(ctx: PermissionContext, org: OrgRow, stale: CacheKey[] | 'whole-organization'): Promise<void> {
  // The organization entry carries the revision, so every write makes it stale.
  const orgEntry = ctx.cache.invalidate(slugPartition(org.slug), [{ type: ctx.types.organization, id: org.slug }], org.revision)
  const entries =
    stale === 'whole-organization' ? ctx.cache.invalidatePartition(org.id, org.revision) : ctx.cache.invalidate(org.id, stale, org.revision)
  await Promise.all([orgEntry, entries])
}
