import type { Invalidation } from '@latchkey/cache'
import { OUTBOX_CHANNEL } from '../outbox-relay/outbox-relay.ts'
import type { Tx } from './transaction.ts'

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

/** Records the event in the write's own transaction: it exists exactly when the change does. */
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
