import { parseDuration } from '@latchkey/config'
import { defineTask } from '../registry.ts'

/** Rows deleted per statement: a large backlog is worked off in bounded steps, never one huge delete. */
const BATCH = 10_000

/**
 * Deletes succeeded and cancelled tasks that finished longer ago than TASK_RETENTION (dead tasks
 * stay until redriven or handled). Scheduled by the scheduler (`task-retention`), so that one
 * replica does it per tick rather than every worker on a timer of its own. Idempotent: a second
 * run deletes what is left.
 */
export default defineTask<unknown, { deleted: number; retention: string }>({
  type: 'system.task_retention',
  description: 'Deletes succeeded and cancelled tasks older than TASK_RETENTION',
  queues: ['system'],
  maxAttempts: 3,
  timeoutMs: 600_000,
  async handle(_payload, { services, signal, log }) {
    const retention = services.config.TASK_RETENTION
    const retentionMs = parseDuration(retention)
    let deleted = 0
    for (;;) {
      signal.throwIfAborted()
      const count = await services.tasks.deleteFinished(retentionMs, BATCH)
      deleted += count
      if (count < BATCH) break
    }
    log.info({ deleted, retention }, 'finished tasks past their retention deleted')
    return { deleted, retention }
  },
})
