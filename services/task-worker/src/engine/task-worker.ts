import { AckPolicy, DeliverPolicy, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import { KvWatchInclude, type KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Subjects } from '@latchkey/events'
import type { Log } from '@latchkey/logger'
import type { Meter } from '@latchkey/telemetry'
import { CANCELLATION_TTL_MS, PRIORITIES, publishTasks, QUEUES, type Priority, type QueueName, type TaskPublisher, type TaskStore } from '@latchkey/tasks-client'
import type { TaskRegistry } from '../registry.ts'
import type { TaskServices } from '../task-services.ts'
import { Executor } from './executor.ts'
import type { TaskMetrics } from './metrics.ts'
import { QueueRunner } from './queue-runner.ts'

export interface TaskWorkerOptions {
  connection: NatsConnection
  subjects: Subjects
  store: TaskStore
  registry: TaskRegistry
  metrics: TaskMetrics
  meter: Meter
  log: Log
  cancellations: KV
  publisher: TaskPublisher
  /** Queues this process works on (it serves the API and dispatches delayed tasks either way). */
  queues: QueueName[]
  concurrency: Record<QueueName, number>
  prefetch?: number | undefined
  weights: [number, number, number]
  ackWaitMs: number
  maxAckPending: number
  pullExpiresMs: number
  dispatchIntervalMs: number
  defaultTimeoutMs: number
  services: TaskServices
}

const nanos = (ms: number) => ms * 1_000_000

/**
 * The worker side of one process: the durable consumers (one per queue and lane, shared by all
 * replicas: competing consumers), a QueueRunner per worked queue, the watcher of cancellations,
 * and the dispatcher that publishes delayed and redriven tasks when they are due.
 */
export class TaskWorker {
  readonly runners: QueueRunner[] = []
  private readonly cancelled = new Map<string, number>()
  private manager: JetStreamManager | undefined
  private watch: { stop(): void } | undefined
  private dispatchTimer: NodeJS.Timeout | undefined
  private dispatching: Promise<void> | undefined
  private stopped = false
  private lastCleanup = 0
  private dispatchFailing = false

  constructor(private readonly options: TaskWorkerOptions) {
    const executor = new Executor({
      registry: options.registry,
      store: options.store,
      publisher: options.publisher,
      subjects: options.subjects,
      metrics: options.metrics,
      log: options.log,
      cancelled: { has: (id) => this.cancelled.has(id) },
      defaultTimeoutMs: options.defaultTimeoutMs,
      services: options.services,
    })
    for (const queue of options.queues) {
      const concurrency = options.concurrency[queue]
      this.runners.push(
        new QueueRunner(
          {
            queue,
            concurrency,
            prefetch: options.prefetch ?? Math.min(1_024, Math.max(32, 4 * concurrency)),
            weights: options.weights,
            pullExpiresMs: options.pullExpiresMs,
            ackWaitMs: options.ackWaitMs,
          },
          { connection: options.connection, subjects: options.subjects, executor, log: options.log },
        ),
      )
    }
    options.meter.createObservableGauge('latchkey_tasks_running', { description: 'Tasks running in this process, by queue' }).addCallback((result) => {
      for (const runner of this.runners) result.observe(runner.running.size, { queue: runner.queue })
    })
    options.meter
      .createObservableGauge('latchkey_tasks_queue_depth', { description: 'Tasks waiting in JetStream to be delivered, by queue and priority (from the consumers)' })
      .addCallback(async (result) => {
        const depth = await this.depths().catch(() => undefined)
        for (const [key, value] of depth ?? []) {
          const [queue, priority] = key.split('.')
          result.observe(value, { queue, priority })
        }
      })
    // From the status table: every replica reports the same figures (aggregate replicas with max).
    const delayed = options.meter.createObservableGauge('latchkey_tasks_delayed', {
      description: 'Tasks waiting in PostgreSQL to be published (delayed, redriven, or keyed and not yet confirmed), by queue and priority; not in latchkey_tasks_queue_depth',
    })
    const dead = options.meter.createObservableGauge('latchkey_tasks_dead', { description: 'Dead tasks kept for inspection and redrive, by queue' })
    options.meter.addBatchObservableCallback(
      async (result) => {
        const counts = await options.store.queueCounts().catch(() => undefined)
        if (!counts) return
        for (const queue of QUEUES) {
          for (const priority of PRIORITIES) result.observe(delayed, counts.waiting.get(`${queue}.${priority}`) ?? 0, { queue, priority })
          result.observe(dead, counts.dead.get(queue) ?? 0, { queue })
        }
      },
      [delayed, dead],
    )
  }

  /** Creates the consumers (or adjusts their ack wait and limits), then starts working. */
  async start(): Promise<void> {
    this.manager = await jetstreamManager(this.options.connection)
    await this.ensureConsumers(this.manager)
    await this.watchCancellations()
    for (const runner of this.runners) runner.start()
    this.scheduleDispatch(0)
    void this.watchReconnects()
  }

  async stop(deadline: number): Promise<void> {
    this.stopped = true
    clearTimeout(this.dispatchTimer)
    await this.dispatching
    await Promise.all(this.runners.map((runner) => runner.stop(deadline)))
    this.watch?.stop()
  }

  isCancelled(id: string): boolean {
    return this.cancelled.has(id)
  }

  /** Messages waiting to be delivered, per `queue.priority`, from the consumers. */
  async depths(): Promise<Map<string, number>> {
    const manager = (this.manager ??= await jetstreamManager(this.options.connection))
    const entries = await Promise.all(
      QUEUES.flatMap((queue) =>
        PRIORITIES.map(async (priority) => {
          const info = await manager.consumers.info(this.options.subjects.taskStream, this.options.subjects.taskConsumer(queue, priority)).catch(() => undefined)
          return [`${queue}.${priority}`, info?.num_pending ?? 0] as const
        }),
      ),
    )
    return new Map(entries)
  }

  /** Publishes the due tasks now (after a redrive, say) instead of at the next interval. */
  kickDispatcher(): void {
    if (!this.stopped) this.scheduleDispatch(0)
  }

  private async ensureConsumers(manager: JetStreamManager): Promise<void> {
    const { subjects } = this.options
    await Promise.all(
      QUEUES.flatMap((queue) =>
        PRIORITIES.map(async (priority: Priority) => {
          const name = subjects.taskConsumer(queue, priority)
          const config = {
            durable_name: name,
            filter_subject: subjects.task(queue, priority),
            ack_policy: AckPolicy.Explicit,
            deliver_policy: DeliverPolicy.All,
            ack_wait: nanos(this.options.ackWaitMs),
            max_deliver: -1,
            max_ack_pending: this.options.maxAckPending,
            max_waiting: 4_096,
          }
          try {
            await manager.consumers.add(subjects.taskStream, config)
          } catch (err) {
            if (!/already exists|already in use/i.test((err as Error).message)) throw err
            await manager.consumers
              .update(subjects.taskStream, name, { ack_wait: config.ack_wait, max_ack_pending: config.max_ack_pending })
              .catch((updateErr: Error) => this.options.log.warn({ consumer: name, err: { message: updateErr.message } }, 'task consumer kept its configuration'))
          }
        }),
      ),
    )
  }

  /**
   * After a reconnect the lanes ask again at once: their waiting pull requests died with the old
   * connection (or the server), and would otherwise be noticed only when they would have expired.
   */
  private async watchReconnects(): Promise<void> {
    for await (const status of this.options.connection.status()) {
      if (this.stopped) break
      if (status.type === 'reconnect') for (const runner of this.runners) runner.pullAgain()
    }
  }

  private async watchCancellations(): Promise<void> {
    const kv = this.options.cancellations
    const updates = await kv.watch({ include: KvWatchInclude.UpdatesOnly })
    this.watch = updates
    void (async () => {
      for await (const entry of updates) {
        if (entry.operation === 'PUT') this.cancelled.set(entry.key, Date.now())
        else this.cancelled.delete(entry.key)
      }
    })().catch(() => {})
    for await (const key of await kv.keys()) this.cancelled.set(key, Date.now())
  }

  private scheduleDispatch(delayMs: number): void {
    clearTimeout(this.dispatchTimer)
    this.dispatchTimer = setTimeout(() => {
      if (this.dispatching) return this.scheduleDispatch(this.options.dispatchIntervalMs)
      this.dispatching = this.dispatchDue().finally(() => {
        this.dispatching = undefined
        if (!this.stopped) this.scheduleDispatch(this.options.dispatchIntervalMs)
      })
    }, delayMs)
  }

  private async dispatchDue(): Promise<void> {
    try {
      const limit = 500
      while (!this.stopped && (await this.options.store.dispatchDue((tasks) => publishTasks({ publisher: this.options.publisher, subjects: this.options.subjects }, tasks), limit)) === limit) {
        // A backlog: keep going.
      }
      // Finished tasks are deleted by the scheduled task system.task_retention; only the memory of
      // old cancellations is pruned here.
      if (Date.now() - this.lastCleanup > 600_000) {
        this.lastCleanup = Date.now()
        const expired = Date.now() - CANCELLATION_TTL_MS
        for (const [id, seen] of this.cancelled) if (seen < expired) this.cancelled.delete(id)
      }
      if (this.dispatchFailing) this.options.log.info('dispatching due tasks works again')
      this.dispatchFailing = false
    } catch (err) {
      // Said once per outage, not every interval.
      if (!this.stopped && !this.dispatchFailing) this.options.log.warn({ err: { message: (err as Error).message } }, 'dispatching due tasks failed; retrying every interval')
      this.dispatchFailing = true
    }
  }
}
