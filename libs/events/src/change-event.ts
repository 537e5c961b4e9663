import type { Invalidation } from '@latchkey/cache'

/**
 * A change as it travels on NATS: one row of the permission service's outbox. `revision` is the
 * organization's revision after the change (its per-organization sequence); `invalidations` are
 * the cache entries it made stale, computed in the change's own transaction.
 */
export interface ChangeEvent {
  id: string
  /** The outbox row's id: the order in which changes committed, per organization. */
  sequence: string
  type: string
  orgId: string | null
  revision: string | null
  committedAt: string
  payload: Record<string, unknown>
  invalidations: Invalidation[]
}

/** What the invalidator fans out to every process holding an L1, for a batch of events. */
export interface L1InvalidationMessage {
  invalidations: Invalidation[]
  /** Commit time (ms since the epoch) of each event in the batch, for the invalidation-delay metric. */
  committedAt: number[]
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const encodeJson = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value))
export const decodeJson = <T>(data: Uint8Array): T => JSON.parse(decoder.decode(data)) as T

/** Asks every process holding an L1 for a warming pass over the entries in use that expire soon. */
export interface WarmRequest {
  withinMs: number
}
