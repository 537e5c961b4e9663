import { enqueueTasks, TaskNotCancellableError, TaskNotFoundError, type Enqueued, type EnqueueInput, type TaskView } from '@latchkey/tasks-client'
import type { TaskWorkerContext } from '../context.ts'

export function enqueue(ctx: TaskWorkerContext, inputs: EnqueueInput[]): Promise<Enqueued[]> {
  return enqueueTasks(ctx.enqueue, inputs)
}

export async function getTask(ctx: TaskWorkerContext, id: string): Promise<TaskView> {
  const task = await ctx.store.get(id)
  if (!task) throw new TaskNotFoundError(id)
  return task
}

export function listTasks(ctx: TaskWorkerContext, filter: { queue?: string | undefined; status?: string | undefined; limit: number }): Promise<TaskView[]> {
  return ctx.store.list(filter)
}

/**
 * Cancels a queued (or delayed) task, or one waiting for its retry: its row says `cancelled` at
 * once, and the id goes into the cancellation bucket that every worker watches, so that a worker
 * receiving its message drops it. Cancelling a cancelled task answers it again (idempotent).
 */
export async function cancelTask(ctx: TaskWorkerContext, id: string): Promise<TaskView> {
  const outcome = await ctx.store.cancel(id)
  if (!outcome) throw new TaskNotFoundError(id)
  if (!outcome.cancelled && outcome.task.status !== 'cancelled') throw new TaskNotCancellableError(id, outcome.task.status)
  await ctx.cancellations.put(id, '')
  return outcome.task
}
