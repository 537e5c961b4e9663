import type { Log } from '@latchkey/logger'
import type pg from 'pg'
import type { TaskMessage, TaskStatus } from './model.ts'

/** Orders the changes of one task: a change applies only if its (attempt, phase) is newer. */
export const PHASE = { queued: 0, running: 1, failed: 2, finished: 3 } as const

export interface AttemptEntry {
  startedAt?: number
  finishedAt?: number
  error?: string
}

/** A task to insert as `queued` (at enqueue). */
export interface NewTask {
  message: TaskMessage
  idempotencyKey?: string | undefined
  /** Set while the task waits in PostgreSQL to be published (delayed, or keyed until its publish). */
  dispatchAt?: number | undefined
  /** W3C trace context of the enqueue (empty or absent while tracing is off). */
  traceContext?: Record<string, string> | undefined
}

/** What one attempt did to a task; several for one task within a flush are merged. */
export interface Progress {
  task: TaskMessage
  attempts: number
  phase: number
  status: TaskStatus
  startedAt?: number
  finishedAt?: number
  /** JSON text of the result. */
  result?: string
  error?: string
  /** Attempt-log entries by attempt number; an entry replaces the stored one, so it is always whole. */
  log?: Record<number, AttemptEntry>
}

interface Waiter {
  resolve: () => void
  reject: (err: Error) => void
}

interface PendingInsert {
  row: NewTask
  done: (inserted: boolean) => void
  fail: (err: Error) => void
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString())

// Each batch is one JSON document, spread into rows by PostgreSQL (jsonb_to_recordset): one
// JSON.stringify in the writer, where thirteen array parameters cost the driver an escaped text
// rendering of every element. Times travel as epoch milliseconds.
const at = (column: string) => `to_timestamp(u.${column} / 1000.0)`

const insertSql = `
INSERT INTO tasks (id, queue, type, priority, status, payload, idempotency_key, max_attempts, backoff_base_ms, backoff_max_ms, attempts, dispatch_at, created_at, trace_context)
SELECT u.id, u.queue, u.type, u.priority, 'queued', u.payload::jsonb, u.key, u.max_attempts, u.base_ms, u.max_ms, u.attempts, ${at('dispatch_at')}, ${at('created_at')}, u.trace_context
FROM jsonb_to_recordset($1::jsonb)
  AS u(id uuid, queue text, type text, priority text, payload text, key text, max_attempts int, base_ms int, max_ms int, attempts int, dispatch_at float8, created_at float8, trace_context jsonb)
ON CONFLICT DO NOTHING
RETURNING id`

const newer = `(t.status <> 'cancelled' AND (u.attempts, u.phase) > (t.attempts, t.phase))`

const progressSql = `
UPDATE tasks t SET
  status = CASE WHEN ${newer} THEN u.status ELSE t.status END,
  started_at = CASE WHEN ${newer} AND u.started_at IS NOT NULL THEN ${at('started_at')} ELSE t.started_at END,
  finished_at = CASE WHEN ${newer} THEN ${at('finished_at')} ELSE t.finished_at END,
  result = CASE WHEN ${newer} THEN u.result::jsonb ELSE t.result END,
  error = CASE WHEN ${newer} THEN u.error ELSE t.error END,
  dispatch_at = CASE WHEN ${newer} THEN NULL ELSE t.dispatch_at END,
  attempt_log = t.attempt_log || u.log,
  attempts = CASE WHEN ${newer} THEN u.attempts ELSE t.attempts END,
  phase = CASE WHEN ${newer} THEN u.phase ELSE t.phase END,
  updated_at = now()
FROM jsonb_to_recordset($1::jsonb)
  AS u(id uuid, attempts int, phase int2, status text, started_at float8, finished_at float8, result text, error text, log jsonb)
WHERE t.id = u.id
RETURNING t.id`

/** An attempt-log entry as stored: ISO times (what the task routes answer), absent fields left out. */
function storedLog(log: Record<number, AttemptEntry> | undefined): Record<string, { startedAt?: string; finishedAt?: string; error?: string }> {
  const stored: Record<string, { startedAt?: string; finishedAt?: string; error?: string }> = {}
  for (const attempt in log) {
    const entry = log[attempt as unknown as number]!
    stored[attempt] = { startedAt: iso(entry.startedAt), finishedAt: iso(entry.finishedAt), error: entry.error }
  }
  return stored
}

/**
 * Status writes, batched: every change is buffered and written with others in one multi-row
 * statement at most every `flushMs` (at once when the writer has been idle that long), so that a
 * busy worker writes a few statements per 20 ms instead of three per task. Changes of one task
 * within a batch are merged into one row. A writer flushes one batch at a time, in order.
 *
 * Each write returns a promise that settles when its batch is committed: enqueue awaits it (a
 * 202 means the status is readable), the worker awaits a task's outcome before acknowledging its
 * message (a crash in between runs the task again, never loses its outcome). While PostgreSQL is
 * unreachable batches are retried with a growing pause, their promises still pending.
 */
export class StatusWriter {
  private inserts: PendingInsert[] = []
  private progress = new Map<string, { change: Progress; waiters: Waiter[] }>()
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  private lastFlush = 0
  private closed = false
  /** Figures for tests and metrics. */
  readonly totals = { flushes: 0, statements: 0, rows: 0 }

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: { flushMs: number; maxBatch: number; log?: Log | undefined },
  ) {}

  get buffered(): number {
    return this.inserts.length + this.progress.size
  }

  /** Inserts tasks as `queued`; resolves, per task in order, whether it was new (false: its id or idempotency key existed). */
  insert(rows: NewTask[]): Promise<boolean[]> {
    const result = Promise.all(rows.map((row) => new Promise<boolean>((done, fail) => void this.inserts.push({ row, done, fail }))))
    this.schedule()
    return result
  }

  /** Records what an attempt did. The promise settles once it is committed. */
  write(change: Progress): Promise<void> {
    return new Promise<void>((resolve, reject) => this.add(change, { resolve, reject }))
  }

  /** Records a change nobody waits for (a start: what is awaited is the outcome that follows). */
  note(change: Progress): void {
    this.add(change, undefined)
  }

  private add(change: Progress, waiter: Waiter | undefined): void {
    const existing = this.progress.get(change.task.id)
    if (!existing) {
      // Kept as given: callers hand over a fresh object, and a merge below never changes one.
      this.progress.set(change.task.id, { change, waiters: waiter ? [waiter] : [] })
    } else {
      if (waiter) existing.waiters.push(waiter)
      const current = existing.change
      const log = { ...current.log }
      for (const [attempt, entry] of Object.entries(change.log ?? {})) log[Number(attempt)] = entry
      const isNewer = change.attempts > current.attempts || (change.attempts === current.attempts && change.phase > current.phase)
      existing.change = isNewer ? { ...change, startedAt: change.startedAt ?? current.startedAt, log } : { ...current, log }
    }
    this.schedule()
  }

  /** Writes everything buffered now; resolves when it is committed. */
  async flush(): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    while (this.flushing || this.buffered > 0) {
      if (this.flushing) await this.flushing
      else await this.runFlush()
    }
  }

  async close(): Promise<void> {
    await this.flush()
    this.closed = true
  }

  private schedule(): void {
    if (this.timer || this.flushing || this.closed) return
    const wait = this.buffered >= this.options.maxBatch ? 0 : Math.max(0, this.lastFlush + this.options.flushMs - Date.now())
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.runFlush()
    }, wait)
  }

  private runFlush(): Promise<void> {
    if (this.flushing) return this.flushing
    this.flushing = this.flushOnce().finally(() => {
      this.flushing = undefined
      if (this.buffered > 0) this.schedule()
    })
    return this.flushing
  }

  private async flushOnce(): Promise<void> {
    this.lastFlush = Date.now()
    const inserts = this.inserts.splice(0, this.options.maxBatch)
    const progress = [...this.progress.values()].slice(0, Math.max(0, this.options.maxBatch - inserts.length) || 1)
    for (const entry of progress) this.progress.delete(entry.change.task.id)
    if (inserts.length === 0 && progress.length === 0) return
    for (let attempt = 0; ; attempt++) {
      const client = await this.pool.connect().catch((err: Error) => err)
      if (!(client instanceof Error)) {
        try {
          const inserted = inserts.length > 0 ? await this.insertRows(client, inserts.map((i) => i.row)) : new Set<string>()
          if (progress.length > 0) await this.writeProgress(client, progress.map((p) => p.change))
          client.release()
          this.totals.flushes++
          this.totals.rows += inserts.length + progress.length
          for (const entry of inserts) entry.done(inserted.has(entry.row.message.id))
          for (const entry of progress) for (const waiter of entry.waiters) waiter.resolve()
          return
        } catch (err) {
          client.release(err as Error)
          if (this.closed || attempt >= 5) {
            for (const entry of inserts) entry.fail(err as Error)
            for (const entry of progress) for (const waiter of entry.waiters) waiter.reject(err as Error)
            return
          }
          this.options.log?.warn({ err: { message: (err as Error).message }, rows: inserts.length + progress.length }, 'task status batch failed; retrying')
        }
      } else if (this.closed || attempt >= 5) {
        for (const entry of inserts) entry.fail(client)
        for (const entry of progress) for (const waiter of entry.waiters) waiter.reject(client)
        return
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 2_000)))
    }
  }

  private async insertRows(client: pg.PoolClient, rows: NewTask[]): Promise<Set<string>> {
    this.totals.statements++
    const batch = rows.map(({ message, idempotencyKey, dispatchAt, traceContext }) => ({
      id: message.id,
      queue: message.queue,
      type: message.type,
      priority: message.priority,
      // As JSON text, so that a payload of `null` stays a JSON null (a JSON null field would be SQL NULL).
      payload: message.payload === undefined ? undefined : JSON.stringify(message.payload),
      key: idempotencyKey,
      max_attempts: message.maxAttempts,
      base_ms: message.backoff?.baseMs,
      max_ms: message.backoff?.maxMs,
      attempts: message.offset,
      dispatch_at: dispatchAt,
      created_at: message.createdAt,
      trace_context: traceContext?.traceparent ? traceContext : undefined,
    }))
    const { rows: inserted } = await client.query<{ id: string }>(insertSql, [JSON.stringify(batch)])
    return new Set(inserted.map((r) => r.id))
  }

  private async writeProgress(client: pg.PoolClient, changes: Progress[]): Promise<void> {
    const run = async (batch: Progress[]) => {
      this.totals.statements++
      const rows = batch.map((c) => ({
        id: c.task.id,
        attempts: c.attempts,
        phase: c.phase,
        status: c.status,
        started_at: c.startedAt,
        finished_at: c.finishedAt,
        result: c.result,
        error: c.error,
        log: storedLog(c.log),
      }))
      const { rows: updated } = await client.query<{ id: string }>(progressSql, [JSON.stringify(rows)])
      return new Set(updated.map((r) => r.id))
    }
    const updated = await run(changes)
    const missing = changes.filter((c) => !updated.has(c.task.id))
    if (missing.length === 0) return
    // The task's enqueue has not been written yet (it is in another process's batch, or that
    // process died after publishing): write the task from its message, then the change.
    await this.insertRows(client, missing.map((c) => ({ message: c.task })))
    await run(missing)
  }
}
