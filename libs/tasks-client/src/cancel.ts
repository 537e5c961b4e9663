import type { KV } from '@nats-io/kv'
import { TaskNotCancellableError, TaskNotFoundError } from './errors.ts'
import type { TaskView } from './model.ts'
import type { TaskStore } from './task-store.ts'

/**
 * The one way a task is cancelled (`POST /v1/tasks/:id/cancel` and the client library): a queued
 * (or delayed) task, or one waiting for its retry, says `cancelled` at once in one conditional
 * update, and its id goes into the cancellation bucket that every worker watches, so that a
 * worker receiving its message drops it. Cancelling a cancelled task answers it again.
 */
export async function cancelTask(deps: { store: TaskStore; cancellations: KV }, id: string): Promise<TaskView> {
  const outcome = await deps.store.cancel(id)
  if (!outcome) throw new TaskNotFoundError(id)
  if (!outcome.cancelled && outcome.task.status !== 'cancelled') throw new TaskNotCancellableError(id, outcome.task.status)
  await deps.cancellations.put(id, '')
  return outcome.task
}
