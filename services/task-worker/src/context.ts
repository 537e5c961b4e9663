import type { KV } from '@nats-io/kv'
import type { Log } from '@latchkey/logger'
import type { EnqueueContext, TaskStore } from '@latchkey/tasks-client'
import type { TaskWorker } from './engine/task-worker.ts'
import type { TaskRegistry } from './registry.ts'

/** What the task commands need; built once by the service plugin. */
export interface TaskWorkerContext {
  enqueue: EnqueueContext
  store: TaskStore
  registry: TaskRegistry
  worker: TaskWorker
  cancellations: KV
  log: Log
}
