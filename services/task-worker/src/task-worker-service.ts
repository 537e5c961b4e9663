import fp from 'fastify-plugin'
import { parseDuration } from '@latchkey/config'
import type {} from '@latchkey/db'
import type {} from '@latchkey/events'
import type { HttpServer } from '@latchkey/http'
import type {} from '@latchkey/nats'
import { ensureTaskStream, enqueueTasks, openCancellationBucket, QUEUES, TaskPublisher, TaskStore, type EnqueueContext, type QueueName } from '@latchkey/tasks-client'
import type { TaskWorkerConfig } from './config.ts'
import type { TaskWorkerContext } from './context.ts'
import { TaskMetrics } from './engine/metrics.ts'
import { TaskWorker } from './engine/task-worker.ts'
import { queueRoutes } from './http/queue-routes.ts'
import { taskRoutes } from './http/task-routes.ts'
import { loadHandlerModules, TaskRegistry } from './registry.ts'
import { createTaskServices } from './build-task-services.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The task worker of this process: its registry (add task types before the app is ready), store and worker. */
    tasks: TaskWorkerContext
  }
}

/** Pull requests wait this long on the server; shutdown waits for outstanding ones to end. */
const PULL_EXPIRES_MS = 2_000

export type TaskWorkerServiceConfig = TaskWorkerConfig & { DATABASE_URL: string; SHUTDOWN_GRACE: string }

export function workedQueues(value: string): QueueName[] {
  if (value === 'all') return [...QUEUES]
  if (value === 'none') return []
  return QUEUES.filter((queue) => value.split(',').includes(queue))
}

export function concurrencyOf(config: TaskWorkerConfig): Record<QueueName, number> {
  const byQueue: Record<QueueName, number | undefined> = {
    workflow: config.TASK_CONCURRENCY_WORKFLOW,
    auth: config.TASK_CONCURRENCY_AUTH,
    file_processing: config.TASK_CONCURRENCY_FILE_PROCESSING,
    business_processes: config.TASK_CONCURRENCY_BUSINESS_PROCESSES,
    system: config.TASK_CONCURRENCY_SYSTEM,
  }
  return Object.fromEntries(QUEUES.map((q) => [q, byQueue[q] ?? config.TASK_CONCURRENCY])) as Record<QueueName, number>
}

/**
 * The task worker: the task routes of the contract, the worker that runs the queues this process
 * is given (competing with every other replica on shared durable consumers), and the dispatcher
 * of delayed and redriven tasks. Handler modules in src/handlers are registered at start.
 */
/** What the grace period keeps, after the drain, for handing tasks back and closing connections. */
const CLOSING_RESERVE_MS = 5_000

export const taskWorkerService = fp<{ config: TaskWorkerServiceConfig }>(
  async (fastify, { config }) => {
    const registry = new TaskRegistry()
    await loadHandlerModules(registry, undefined, fastify.log)
    const store = new TaskStore({
      databaseUrl: config.DATABASE_URL,
      poolSize: config.TASK_DATABASE_POOL_SIZE,
      flushMs: parseDuration(config.TASK_STATUS_FLUSH),
      log: fastify.log,
      Client: fastify.dbMetrics.clientClass('tasks'),
    })
    try {
      await ensureTaskStream(fastify.nats, fastify.subjects)
    } catch (err) {
      await store.close()
      throw new Error(`NATS JetStream refused the task stream (${(err as Error).message}); is JetStream enabled (nats-server -js)?`)
    }
    const cancellations = await openCancellationBucket(fastify.nats, fastify.subjects)
    const metrics = new TaskMetrics(fastify.metrics)
    const publisher = new TaskPublisher(fastify.nats)
    const [high, medium, low] = config.TASK_PRIORITY_WEIGHTS.split(',').map(Number)
    const enqueue: EnqueueContext = {
      publisher,
      subjects: fastify.subjects,
      store,
      maxPayloadBytes: config.TASK_MAX_PAYLOAD_BYTES,
      catalog: registry,
      onEnqueued: (tasks) => metrics.enqueued(tasks),
    }
    const services = createTaskServices(fastify, config, store, (inputs) => enqueueTasks(enqueue, inputs))
    const worker = new TaskWorker({
      connection: fastify.nats,
      subjects: fastify.subjects,
      store,
      registry,
      metrics,
      meter: fastify.metrics.meter,
      log: fastify.log,
      cancellations,
      publisher,
      queues: workedQueues(config.TASK_QUEUES),
      concurrency: concurrencyOf(config),
      prefetch: config.TASK_PREFETCH,
      weights: [high!, medium!, low!],
      ackWaitMs: parseDuration(config.TASK_ACK_WAIT),
      maxAckPending: config.TASK_MAX_ACK_PENDING,
      pullExpiresMs: PULL_EXPIRES_MS,
      dispatchIntervalMs: parseDuration(config.TASK_DISPATCH_INTERVAL),
      defaultTimeoutMs: parseDuration(config.TASK_DEFAULT_TIMEOUT),
      services,
    })
    const context: TaskWorkerContext = {
      enqueue,
      store,
      registry,
      worker,
      cancellations,
      log: fastify.log,
    }
    fastify.decorate('tasks', context)
    const server = fastify as unknown as HttpServer
    taskRoutes(server, context)
    queueRoutes(server, context)

    fastify.addHook('onReady', async () => {
      await worker.start()
      fastify.log.info({ queues: workedQueues(config.TASK_QUEUES), types: registry.types() }, 'task worker started')
    })
    fastify.addHook('onClose', async () => {
      // SIGTERM: stop pulling, finish (or hand back) what is held, write the last statuses. The
      // last 5 s of the grace are kept for handing back and closing, which take seconds on a
      // loaded node (3 s proved too few).
      const graceMs = parseDuration(config.SHUTDOWN_GRACE)
      await worker.stop(Date.now() + Math.max(500, graceMs - CLOSING_RESERVE_MS))
      await store.close()
      publisher.close()
      services.mail.close()
    })
  },
  { name: 'task-worker-service', dependencies: ['database', 'nats', 'cache'] },
)
