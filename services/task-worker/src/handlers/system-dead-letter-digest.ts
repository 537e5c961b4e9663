import { defineTask, TaskRejectedError } from '../registry.ts'

interface DigestLine {
  queue: string
  type: string
  dead: number
  /** The most recent error of that queue and type. */
  lastError: string | null
  lastDeadAt: string
}

const DAY_HOURS = 24

/**
 * The dead tasks of the last day (by default), per queue and type: how many, the latest error,
 * when the last one died. Its result is the digest, and it is logged (at warn when anything died),
 * for whoever reads the day's dead letters (and redrives them: POST /v1/queues/:queue/dead/redrive).
 */
export default defineTask<{ hours?: number } | undefined, { since: string; total: number; byQueueAndType: DigestLine[] }>({
  type: 'system.dead_letter_digest',
  description: 'Summarises the dead tasks of the last day per queue and type (payload.hours: another window)',
  queues: ['system'],
  maxAttempts: 3,
  async handle(payload, { services, log }) {
    const hours = payload?.hours ?? DAY_HOURS
    if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 90) throw new TaskRejectedError(`payload.hours must be an integer from 1 to 2160, got ${JSON.stringify(hours)}`)
    const since = new Date(Date.now() - hours * 3_600_000)
    const { rows } = await services.tasks.pool.query<{ queue: string; type: string; dead: number; last_error: string | null; last_dead_at: Date }>(
      `SELECT queue, type, count(*)::int AS dead,
              (array_agg(error ORDER BY finished_at DESC))[1] AS last_error, max(finished_at) AS last_dead_at
       FROM tasks WHERE status = 'dead' AND finished_at >= $1
       GROUP BY queue, type ORDER BY dead DESC, queue, type`,
      [since],
    )
    const byQueueAndType = rows.map((r) => ({ queue: r.queue, type: r.type, dead: r.dead, lastError: r.last_error, lastDeadAt: r.last_dead_at.toISOString() }))
    const total = byQueueAndType.reduce((sum, line) => sum + line.dead, 0)
    const digest = { since: since.toISOString(), total, byQueueAndType }
    if (total > 0) log.warn(digest, 'dead-letter digest: tasks died in the window')
    else log.info(digest, 'dead-letter digest: no task died in the window')
    return digest
  },
})
