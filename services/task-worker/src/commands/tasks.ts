import { cancelTask as cancel, enqueueTasks, TaskNotFoundError, type Enqueued, type EnqueueInput, type TaskView } from '@latchkey/tasks-client'
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

/** Cancels a task that has not started (see `cancelTask` in `@latchkey/tasks-client`). */
export function cancelTask(ctx: TaskWorkerContext, id: string): Promise<TaskView> {
  return cancel(ctx, id)
}
