import { PRIORITIES, QUEUES, type Priority } from '@latchkey/tasks-client'
import type { TaskWorkerContext } from '../context.ts'

export interface QueueSummary {
  name: string
  pending: Record<Priority, number>
  running: number
  dead: number
}

/**
 * Every queue: tasks waiting per lane (in JetStream, plus delayed ones waiting in PostgreSQL),
 * running and dead (from the status table, so every replica's tasks count).
 */
export async function listQueues(ctx: TaskWorkerContext): Promise<QueueSummary[]> {
  const [depths, counts] = await Promise.all([ctx.worker.depths(), ctx.store.queueCounts()])
  return QUEUES.map((name) => ({
    name,
    pending: Object.fromEntries(PRIORITIES.map((p) => [p, (depths.get(`${name}.${p}`) ?? 0) + (counts.waiting.get(`${name}.${p}`) ?? 0)])) as Record<Priority, number>,
    running: counts.running.get(name) ?? 0,
    dead: counts.dead.get(name) ?? 0,
  }))
}

/** Puts every dead task of a queue back in line (attempts continue from where they stopped). */
export async function redriveDead(ctx: TaskWorkerContext, queue: string): Promise<number> {
  const redriven = await ctx.store.redrive(queue)
  if (redriven > 0) ctx.worker.kickDispatcher()
  return redriven
}
