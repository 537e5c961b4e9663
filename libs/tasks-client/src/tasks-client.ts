import type { NatsConnection } from '@nats-io/transport-node'
import { subjects as natsNames, type Subjects } from '@latchkey/events'
import type { Log } from '@latchkey/logger'
import type { KV } from '@nats-io/kv'
import { cancelTask } from './cancel.ts'
import { enqueueTasks, type EnqueueContext, type TaskTypeCatalog } from './enqueue.ts'
import type { Enqueued, EnqueueInput, TaskView } from './model.ts'
import { ensureTaskStream, openCancellationBucket } from './task-streams.ts'
import { TaskPublisher } from './task-publisher.ts'
import { TaskStore } from './task-store.ts'

export interface TasksClientOptions {
  /** The process's NATS connection (not closed by the client). */
  connection: NatsConnection
  /** PostgreSQL holding the `tasks` table (the platform's database). */
  databaseUrl: string
  /** `NATS_NAMESPACE` (default `latchkey`), or the process's `fastify.subjects`. */
  namespace?: string
  subjects?: Subjects
  /** Largest payload in bytes (default 256 KiB, like the worker's `TASK_MAX_PAYLOAD_BYTES`). */
  maxPayloadBytes?: number
  /** Known task types; without one any type is accepted, and an unknown one fails as dead in the worker. */
  catalog?: TaskTypeCatalog
  /** Longest wait of a status write in the batch (ms). */
  flushMs?: number
  log?: Log
}

/** What other services use to enqueue tasks without HTTP: the same path as `POST /v1/tasks`. */
export interface TasksClient {
  enqueue(input: EnqueueInput): Promise<Enqueued>
  /** Up to any number of tasks; one bad input refuses them all. */
  enqueueBulk(inputs: EnqueueInput[]): Promise<Enqueued[]>
  get(id: string): Promise<TaskView | undefined>
  /**
   * Cancels a task that has not started (queued, delayed, or waiting for its retry), as
   * `POST /v1/tasks/:id/cancel` does; `LK_ERR_TASK_NOT_FOUND`, `LK_ERR_TASK_NOT_CANCELLABLE` otherwise.
   */
  cancel(id: string): Promise<TaskView>
  readonly store: TaskStore
  /** Writes what is buffered and closes the client's database pool. */
  close(): Promise<void>
}

export function createTasksClient(options: TasksClientOptions): TasksClient {
  const store = new TaskStore({ databaseUrl: options.databaseUrl, flushMs: options.flushMs ?? 20, ...(options.log ? { log: options.log } : {}) })
  const context: EnqueueContext = {
    publisher: new TaskPublisher(options.connection),
    subjects: options.subjects ?? natsNames(options.namespace ?? 'latchkey'),
    store,
    maxPayloadBytes: options.maxPayloadBytes ?? 262_144,
    catalog: options.catalog,
  }
  let ready: Promise<unknown> | undefined
  let bucket: Promise<KV> | undefined
  const ensureStream = () => (ready ??= ensureTaskStream(options.connection, context.subjects).catch((err) => ((ready = undefined), Promise.reject(err))))
  return {
    store,
    async enqueue(input) {
      await ensureStream()
      return (await enqueueTasks(context, [input]))[0]!
    },
    async enqueueBulk(inputs) {
      if (inputs.length === 0) return []
      await ensureStream()
      return enqueueTasks(context, inputs)
    },
    get: (id) => store.get(id),
    async cancel(id) {
      bucket ??= openCancellationBucket(options.connection, context.subjects).catch((err) => ((bucket = undefined), Promise.reject(err)))
      return cancelTask({ store, cancellations: await bucket }, id)
    },
    close: async () => {
      await store.close()
      context.publisher.close()
    },
  }
}
