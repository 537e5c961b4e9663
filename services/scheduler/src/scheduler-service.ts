import fp from 'fastify-plugin'
import { parseDuration } from '@latchkey/config'
import type {} from '@latchkey/events'
import type { HttpServer } from '@latchkey/http'
import type {} from '@latchkey/nats'
import { loadHandlerModules, TaskRegistry } from '@latchkey/task-worker'
import { createTasksClient } from '@latchkey/tasks-client'
import type { SchedulerConfig } from './config.ts'
import type { SchedulerContext } from './context.ts'
import { LeaderLease } from './engine/leader-lease.ts'
import { SchedulerMetrics } from './engine/metrics.ts'
import { Ticker } from './engine/ticker.ts'
import { scheduleRoutes } from './http/schedule-routes.ts'
import { loadScheduleFile } from './schedule/schedule-file.ts'
import { ScheduleStore } from './store/schedule-store.ts'

export type SchedulerServiceConfig = SchedulerConfig & { DATABASE_URL: string }

/** Payloads of scheduled tasks are held to the worker's default limit (TASK_MAX_PAYLOAD_BYTES), whichever targets this process runs. */
const MAX_PAYLOAD_BYTES = 262_144

declare module 'fastify' {
  interface FastifyInstance {
    /** The scheduler of this process: its store, and whether it leads. */
    scheduler: SchedulerContext
  }
}

/**
 * The scheduler: the schedule routes of the contract, the schedules file seeded into PostgreSQL,
 * the leader lease on NATS, and the leader's ticker that enqueues each tick's task once.
 * Every replica serves the API; only the leader fires.
 */
export const schedulerService = fp<{ config: SchedulerServiceConfig }>(
  async (fastify, { config }) => {
    // The worker's catalog of task types: a schedule is refused (or, in the file, set aside) for a type no handler runs.
    const catalog = new TaskRegistry()
    await loadHandlerModules(catalog, undefined, fastify.log)
    const task = { catalog, maxPayloadBytes: MAX_PAYLOAD_BYTES }
    const file = config.SCHEDULES_FILE === 'none' ? { schedules: [], unknownTypes: [] } : loadScheduleFile(config.SCHEDULES_FILE, task)
    if (file.unknownTypes.length > 0) {
      fastify.log.warn(
        { file: config.SCHEDULES_FILE, schedules: file.unknownTypes.map((s) => `${s.name} (${s.type})`) },
        'built-in schedules set aside: no handler of this build runs their task types',
      )
    }

    const tasks = createTasksClient({ connection: fastify.nats, databaseUrl: config.DATABASE_URL, subjects: fastify.subjects, catalog, maxPayloadBytes: task.maxPayloadBytes, log: fastify.log })
    const store = new ScheduleStore(tasks.store.pool)
    try {
      await store.seed(file.schedules)
    } catch (err) {
      await tasks.close()
      throw err
    }

    let ticker: Ticker | undefined
    const lease = new LeaderLease({
      connection: fastify.nats,
      bucket: fastify.subjects.schedulerLease,
      leaseMs: parseDuration(config.SCHEDULER_LEASE),
      renewMs: parseDuration(config.SCHEDULER_LEASE_RENEW),
      log: fastify.log,
      onChange: (leader) => (leader ? ticker?.resume() : void ticker?.halt()),
    })
    const metrics = new SchedulerMetrics(fastify.metrics, () => lease.isLeader)
    const context: SchedulerContext = {
      store,
      task,
      enqueue: (inputs) => tasks.enqueueBulk(inputs),
      isLeader: () => lease.isLeader,
      metrics,
      log: fastify.log,
    }
    ticker = new Ticker({
      store,
      enqueue: context.enqueue,
      isLeader: context.isLeader,
      metrics,
      log: fastify.log,
      catchUpWindowMs: parseDuration(config.SCHEDULER_CATCH_UP_WINDOW),
      pollMs: parseDuration(config.SCHEDULER_POLL),
      runRetentionMs: parseDuration(config.SCHEDULER_RUN_RETENTION),
    })
    fastify.decorate('scheduler', context)
    scheduleRoutes(fastify as unknown as HttpServer, context)

    fastify.addHook('onReady', async () => {
      await lease.start()
      fastify.log.info({ replica: lease.replica, leader: lease.isLeader, schedules: file.schedules.length }, 'scheduler started')
    })
    fastify.addHook('onClose', async () => {
      // SIGTERM: finish the pass in flight, then hand the lease over at once.
      await ticker.halt()
      await lease.stop()
      await tasks.close()
    })
  },
  { name: 'scheduler-service', dependencies: ['database', 'nats'] },
)
