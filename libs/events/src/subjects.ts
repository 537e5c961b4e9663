/**
 * Names on NATS, all under one namespace (`NATS_NAMESPACE`, `latchkey` by default), so that
 * several installations, or several tests, can share one NATS server without seeing each other.
 */
export interface Subjects {
  /** JetStream stream holding every change event. */
  changeStream: string
  /** A change event of one organization (`global` for changes outside any organization). */
  change(orgId: string | null): string
  /** Every change event (the stream's subject filter). */
  allChanges: string
  /** Core NATS: the invalidator's L1 fan-out to every process holding an L1. */
  l1Invalidations: string
  /** Core NATS: each process's periodic L1 statistics, for `/v1/cache/stats`. */
  l1Stats: string
  /** Core NATS: ask every process holding an L1 to run a warming pass. */
  warmRequests: string
}

export function subjects(namespace: string): Subjects {
  return {
    changeStream: `${namespace.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()}_CHANGES`,
    change: (orgId) => `${namespace}.changes.${orgId ?? 'global'}`,
    allChanges: `${namespace}.changes.>`,
    l1Invalidations: `${namespace}.cache.l1.invalidations`,
    l1Stats: `${namespace}.cache.l1.stats`,
    warmRequests: `${namespace}.cache.l1.warm`,
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** This installation's NATS names (from NATS_NAMESPACE). */
    subjects: Subjects
  }
}
