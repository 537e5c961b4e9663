import type { Log } from '@latchkey/logger'
import pg from 'pg'
import type { Priority, QueueName, TaskMessage, TaskStatus, TaskView } from './model.ts'
import { PHASE, StatusWriter } from './status-writer.ts'

interface TaskRow {
  id: string
  queue: string
  type: string
  priority: string
  status: TaskStatus
  attempts: number
  created_at: Date
  started_at: Date | null
  finished_at: Date | null
  result: unknown
  error: string | null
  attempt_log: Record<string, { startedAt?: string; finishedAt?: string; error?: string }>
}

const viewColumns = 'id, queue, type, priority, status, attempts, created_at, started_at, finished_at, result, error, attempt_log'

/** The lost attempt's note: an attempt that started, has no outcome, and is not running now. */
export const LOST_ATTEMPT = 'no outcome recorded: its worker stopped (was killed) before finishing'

export function toTaskView(row: TaskRow): TaskView {
  const numbers = Object.keys(row.attempt_log ?? {})
    .map(Number)
    .filter(Number.isFinite)
    .sort((a, b) => a - b)
  const attemptLog = numbers.map((n) => {
    const entry = row.attempt_log[String(n)]!
    const current = row.status === 'running' && n === row.attempts
    return {
      startedAt: entry.startedAt ?? entry.finishedAt ?? row.created_at.toISOString(),
      ...(entry.finishedAt ? { finishedAt: entry.finishedAt } : {}),
      ...(entry.error ? { error: entry.error } : !entry.finishedAt && !current ? { error: LOST_ATTEMPT } : {}),
    }
  })
  return {
    id: row.id,
    queue: row.queue,
    type: row.type,
    priority: row.priority,
    status: row.status,
    attempts: Math.max(row.attempts, numbers.at(-1) ?? 0),
    createdAt: row.created_at.toISOString(),
    ...(row.started_at ? { startedAt: row.started_at.toISOString() } : {}),
    ...(row.finished_at ? { finishedAt: row.finished_at.toISOString() } : {}),
    ...(row.result !== null && row.result !== undefined ? { result: row.result } : {}),
    ...(row.error ? { error: row.error } : {}),
    attemptLog,
  }
}

export interface DueTask {
  message: TaskMessage
  /** Dispatch of a redriven task: its message id must differ from the first publication's. */
  redrive: boolean
  /** W3C trace context of the enqueue, which the publish continues. */
  traceContext?: Record<string, string> | null
}

export interface TaskStoreOptions {
  databaseUrl: string
  poolSize?: number
  /** Longest time a status change waits in the buffer (ms). */
  flushMs?: number
  maxBatch?: number
  log?: Log
  /** The connection class of the pool (an instrumented one reports query metrics). */
  Client?: typeof pg.Client
}

/**
 * The tasks table: batched status writes (StatusWriter) and the reads and synchronous commands
 * (cancel, redrive, dispatch of due tasks). Its own small pool, so that status batches never
 * queue behind a service's other queries.
 */
export class TaskStore {
  readonly pool: pg.Pool
  readonly writer: StatusWriter

  constructor(options: TaskStoreOptions) {
    this.pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 4,
      connectionTimeoutMillis: 3_000,
      idleTimeoutMillis: 30_000,
      ...(options.Client ? { Client: options.Client } : {}),
    })
    this.pool.on('error', (err) => options.log?.warn({ err: { message: err.message } }, 'idle task-store connection failed'))
    // A connection that breaks while checked out (PostgreSQL stopped) fails its query; its 'error'
    // event must not end the process.
    this.pool.on('connect', (client) => client.on('error', () => {}))
    this.writer = new StatusWriter(this.pool, { flushMs: options.flushMs ?? 20, maxBatch: options.maxBatch ?? 1_000, log: options.log })
  }

  async close(): Promise<void> {
    await this.writer.close().catch(() => {})
    await this.pool.end()
  }

  async get(id: string): Promise<TaskView | undefined> {
    const { rows } = await this.pool.query<TaskRow>(`SELECT ${viewColumns} FROM tasks WHERE id = $1`, [id])
    return rows[0] ? toTaskView(rows[0]) : undefined
  }

  /** Whether the task has finished: succeeded, dead or cancelled. */
  async hasFinished(id: string): Promise<boolean> {
    const { rows } = await this.pool.query(`SELECT 1 FROM tasks WHERE id = $1 AND phase = ${PHASE.finished}`, [id])
    return rows.length > 0
  }

  /** Newest first. */
  async list(filter: { queue?: string | undefined; status?: string | undefined; limit: number }): Promise<TaskView[]> {
    const where: string[] = []
    const values: unknown[] = []
    if (filter.queue) where.push(`queue = $${values.push(filter.queue)}`)
    if (filter.status) where.push(`status = $${values.push(filter.status)}`)
    const { rows } = await this.pool.query<TaskRow>(
      `SELECT ${viewColumns} FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT $${values.push(filter.limit)}`,
      values,
    )
    return rows.map(toTaskView)
  }

  async findByKeys(keys: string[]): Promise<Map<string, { id: string; status: TaskStatus }>> {
    if (keys.length === 0) return new Map()
    const { rows } = await this.pool.query<{ id: string; status: TaskStatus; idempotency_key: string }>(
      'SELECT id, status, idempotency_key FROM tasks WHERE idempotency_key = ANY($1::text[])',
      [keys],
    )
    return new Map(rows.map((r) => [r.idempotency_key, { id: r.id, status: r.status }]))
  }

  /** The task left PostgreSQL's waiting room: it is on JetStream now. */
  async markDispatched(ids: string[]): Promise<void> {
    if (ids.length === 0) return
    await this.pool.query(`UPDATE tasks SET dispatch_at = NULL WHERE id = ANY($1::uuid[]) AND dispatch_at IS NOT NULL AND phase = 0`, [ids])
  }

  /**
   * Cancels a task that has not started (queued or delayed) or waits for its retry (failed).
   * Answers the task after the change, or `undefined` when it did not exist, or the unchanged
   * task with `cancelled: false` when it was in another state.
   */
  async cancel(id: string): Promise<{ task: TaskView; cancelled: boolean } | undefined> {
    const { rows } = await this.pool.query<TaskRow>(
      `UPDATE tasks SET status = 'cancelled', phase = 3, finished_at = now(), dispatch_at = NULL, updated_at = now()
       WHERE id = $1 AND status IN ('queued', 'failed') RETURNING ${viewColumns}`,
      [id],
    )
    if (rows[0]) return { task: toTaskView(rows[0]), cancelled: true }
    const task = await this.get(id)
    return task ? { task, cancelled: false } : undefined
  }

  /** Moves every dead task of a queue back to `queued`, to be published by the dispatcher. */
  async redrive(queue: string): Promise<number> {
    const { rows } = await this.pool.query<{ count: number }>(
      `WITH r AS (
         UPDATE tasks SET status = 'queued', phase = 0, dispatch_at = now(), error = NULL, result = NULL, finished_at = NULL, updated_at = now()
         WHERE queue = $1 AND status = 'dead' RETURNING 1)
       SELECT count(*)::int AS count FROM r`,
      [queue],
    )
    return rows[0]?.count ?? 0
  }

  /** Per queue: tasks running, dead, and waiting in PostgreSQL (delayed or about to be published) per lane. */
  async queueCounts(): Promise<{ running: Map<string, number>; dead: Map<string, number>; waiting: Map<string, number> }> {
    const [states, waiting] = await Promise.all([
      this.pool.query<{ queue: string; status: string; count: number }>(
        `SELECT queue, status, count(*)::int AS count FROM tasks WHERE status IN ('running', 'dead') GROUP BY queue, status`,
      ),
      this.pool.query<{ queue: string; priority: string; count: number }>(
        `SELECT queue, priority, count(*)::int AS count FROM tasks WHERE dispatch_at IS NOT NULL AND status = 'queued' GROUP BY queue, priority`,
      ),
    ])
    const running = new Map<string, number>()
    const dead = new Map<string, number>()
    for (const row of states.rows) (row.status === 'running' ? running : dead).set(row.queue, row.count)
    return { running, dead, waiting: new Map(waiting.rows.map((r) => [`${r.queue}.${r.priority}`, r.count])) }
  }

  /**
   * Publishes the tasks that are due (delayed tasks whose time came, redriven tasks, keyed tasks
   * whose enqueuer did not confirm its publish): locked with SKIP LOCKED so that replicas share the
   * work, marked only after JetStream acknowledged them (a crash in between publishes them again,
   * which the stream's duplicate window absorbs). Answers how many were published.
   */
  async dispatchDue(publish: (tasks: DueTask[]) => Promise<void>, limit = 500): Promise<number> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const { rows } = await client.query<{
        id: string
        queue: QueueName
        type: string
        priority: Priority
        payload: unknown
        created_at: Date
        max_attempts: number | null
        backoff_base_ms: number | null
        backoff_max_ms: number | null
        attempts: number
        trace_context: Record<string, string> | null
      }>(
        `SELECT id, queue, type, priority, payload, created_at, max_attempts, backoff_base_ms, backoff_max_ms, attempts, trace_context
         FROM tasks WHERE dispatch_at <= now() AND status = 'queued' ORDER BY dispatch_at LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [limit],
      )
      if (rows.length > 0) {
        await publish(
          rows.map((r) => {
            const backoff = r.backoff_base_ms !== null || r.backoff_max_ms !== null ? { ...(r.backoff_base_ms !== null ? { baseMs: r.backoff_base_ms } : {}), ...(r.backoff_max_ms !== null ? { maxMs: r.backoff_max_ms } : {}) } : undefined
            const message: TaskMessage = {
              id: r.id,
              queue: r.queue,
              type: r.type,
              priority: r.priority,
              ...(r.payload !== null ? { payload: r.payload } : {}),
              createdAt: r.created_at.getTime(),
              ...(r.max_attempts !== null ? { maxAttempts: r.max_attempts } : {}),
              ...(backoff ? { backoff } : {}),
              offset: r.attempts,
            }
            return { message, redrive: r.attempts > 0, traceContext: r.trace_context }
          }),
        )
        await client.query('UPDATE tasks SET dispatch_at = NULL WHERE id = ANY($1::uuid[])', [rows.map((r) => r.id)])
      }
      await client.query('COMMIT')
      return rows.length
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  /** Deletes succeeded and cancelled tasks finished longer ago than `retentionMs` (dead ones stay). */
  async deleteFinished(retentionMs: number, limit = 10_000): Promise<number> {
    const { rowCount } = await this.pool.query(
      `DELETE FROM tasks WHERE id IN (
         SELECT id FROM tasks WHERE status IN ('succeeded', 'cancelled') AND finished_at < now() - make_interval(secs => $1) LIMIT $2)`,
      [retentionMs / 1000, limit],
    )
    return rowCount ?? 0
  }
}
