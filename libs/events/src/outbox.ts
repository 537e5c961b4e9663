import type { Invalidation } from '@latchkey/cache'
import type { Database } from '@latchkey/db'

/** Channel a write transaction notifies on commit, so that the outbox relay publishes at once. */
export const OUTBOX_CHANNEL = 'latchkey_outbox'

/** A Prisma interactive transaction: what every function that writes in a change receives. */
export type Tx = Parameters<Parameters<Database['$transaction']>[0]>[0]

/** A change, as the outbox relay will publish it. */
export interface OutboxEntry {
  type: string
  orgId: string | null
  /** The organization's revision after the change; null for changes outside any organization. */
  orgSeq: number | null
  payload: Record<string, unknown>
  /** The cache entries the change made stale, computed in the change's own transaction. */
  invalidations: Invalidation[]
  /** W3C trace context of the request that made the change (traceparent, tracestate). */
  traceContext: Record<string, string>
}

/**
 * Records the event in the write's own transaction: it exists exactly when the change does.
 * Every writer of the shared database (the permission service, the business processors) goes
 * through here, and the permission service's relay publishes whatever it finds.
 */
export async function appendEvent(tx: Tx, event: OutboxEntry): Promise<void> {
  await tx.outboxEvent.create({
    data: {
      type: event.type,
      orgId: event.orgId,
      orgSeq: event.orgSeq === null ? null : BigInt(event.orgSeq),
      payload: { ...event.payload, invalidations: event.invalidations } as object,
      traceContext: event.traceContext,
    },
  })
  // Delivered at commit (and dropped on rollback): wakes the outbox relay at once.
  await tx.$executeRaw`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`
}

/** Organizations are looked up by slug before their id is known, so their entries live apart. */
export const slugPartition = (slug: string): string => `slug:${slug}`

/** The name of the cache type holding an organization by slug (its entry carries the revision). */
export const ORGANIZATION_CACHE_TYPE = 'organization'

/**
 * What a write to an organization made stale, as of the revision it created: the entries it
 * names in the organization's partition, and the organization's own entry (by slug), which
 * carries the revision and is therefore stale after every write.
 */
export function orgWriteInvalidations(org: { id: string; slug: string; revision: number }, stale: Invalidation['entries']): Invalidation[] {
  return [
    { partition: org.id, revision: org.revision, entries: stale },
    { partition: slugPartition(org.slug), revision: org.revision, entries: [{ type: ORGANIZATION_CACHE_TYPE, id: org.slug }] },
  ]
}
