import type { CacheKey } from '@latchkey/cache'
import { appendEvent, orgWriteInvalidations, type Tx } from '@latchkey/events'
import type { BusinessDeps } from './business-deps.ts'
import { OrgNotFoundError } from '@latchkey/errors'

export interface OrgRef {
  id: string
  slug: string
  /** The organization's revision before the change. */
  revision: number
}

/** What a change did: undefined when there was nothing to do (no revision, no event). */
export interface BusinessChange<R> {
  result: R
  event: { type: string; payload: Record<string, unknown> }
  /** The cache entries of the organization the change made stale. */
  stale: CacheKey[]
}

/**
 * The one path of every business write, the same as the permission service's writes:
 * 1. in one transaction: lock the organization's row (writes to one organization are serialized
 *    with each other and with permission writes), make the change; if it changed anything, move
 *    the organization's revision forward and record the change event in the outbox;
 * 2. after the commit, drop the stale entries from this process's cache (L1 and Redis); the
 *    same invalidations travel in the event, for the cache-invalidator to apply everywhere else.
 * A change that finds nothing to do commits nothing visible: a task run again is a no-op.
 */
export async function writeBusinessChange<R>(
  deps: BusinessDeps,
  orgId: string,
  change: (tx: Tx, org: OrgRef) => Promise<BusinessChange<R> | undefined>,
  traceContext: Record<string, string> = {},
): Promise<{ result: R; revision: number } | undefined> {
  const committed = await deps.db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string; slug: string; revision: bigint }[]>`
      SELECT id, slug, revision FROM organizations WHERE id = ${orgId}::uuid AND deleted_at IS NULL FOR UPDATE`
    const found = rows[0]
    if (!found) throw new OrgNotFoundError(orgId)
    const org = { id: found.id, slug: found.slug, revision: Number(found.revision) }
    const outcome = await change(tx, org)
    if (!outcome) return undefined
    const revision = org.revision + 1
    await tx.$executeRaw`UPDATE organizations SET revision = ${revision}, updated_at = now() WHERE id = ${orgId}::uuid`
    const invalidations = orgWriteInvalidations({ ...org, revision }, outcome.stale)
    await appendEvent(tx, {
      type: outcome.event.type,
      orgId,
      orgSeq: revision,
      payload: { org: org.slug, revision: String(revision), ...outcome.event.payload },
      invalidations,
      traceContext,
    })
    return { result: outcome.result, revision, invalidations }
  })
  if (!committed) return undefined
  const cache = deps.cache
  if (cache) await Promise.all(committed.invalidations.map((invalidation) => cache.invalidate(invalidation)))
  return { result: committed.result, revision: committed.revision }
}
