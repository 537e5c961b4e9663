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
  /** JetStream stream (work-queue retention) holding every queued task, one subject per queue and lane. */
  taskStream: string
  /** The subject of one queue's lane: `<ns>.tasks.<queue>.<priority>`. */
  task(queue: string, priority: string): string
  /** Every task subject (the task stream's subject filter). */
  allTasks: string
  /** Name of the durable pull consumer of one queue's lane, shared by every worker replica. */
  taskConsumer(queue: string, priority: string): string
  /** JetStream key-value bucket of cancelled task ids, which every worker watches. */
  taskCancellations: string
  /** JetStream key-value bucket holding the scheduler's leader lease (its entries expire unless renewed). */
  schedulerLease: string
}

export function subjects(namespace: string): Subjects {
  const streamPrefix = namespace.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()
  return {
    changeStream: `${streamPrefix}_CHANGES`,
    change: (orgId) => `${namespace}.changes.${orgId ?? 'global'}`,
    allChanges: `${namespace}.changes.>`,
    l1Invalidations: `${namespace}.cache.l1.invalidations`,
    l1Stats: `${namespace}.cache.l1.stats`,
    warmRequests: `${namespace}.cache.l1.warm`,
    taskStream: `${streamPrefix}_TASKS`,
    task: (queue, priority) => `${namespace}.tasks.${queue}.${priority}`,
    allTasks: `${namespace}.tasks.>`,
    taskConsumer: (queue, priority) => `tasks-${queue}-${priority}`,
    taskCancellations: `${streamPrefix}_TASKS_CANCELLED`,
    schedulerLease: `${streamPrefix}_SCHEDULER_LEASE`,
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** This installation's NATS names (from NATS_NAMESPACE). */
    subjects: Subjects
  }
}
