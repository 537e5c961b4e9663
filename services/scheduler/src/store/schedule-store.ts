import type pg from 'pg'
import type { Priority, QueueName } from '@latchkey/tasks-client'
import type { MissedPolicy, ScheduleDefinition } from '../schedule/definition.ts'

/** A stored schedule, as every replica reads it. */
export interface StoredSchedule extends ScheduleDefinition {
  paused: boolean
  origin: 'file' | 'api'
  /** The last tick handled (fired or skipped on purpose); the leader fires the ticks after it. */
  highWater: Date
  lastRunAt: Date | null
}

export type RunKind = 'tick' | 'catch_up' | 'trigger'

export interface RunRecord {
  tick: Date
  firedAt: Date
  taskId: string
  /** The task's status; `expired` once task retention removed its row. */
  status: string
}

interface ScheduleRow {
  name: string
  cron: string
  timezone: string
  queue: QueueName
  type: string
  priority: Priority
  payload: unknown
  missed_policy: MissedPolicy
  no_overlap: boolean
  paused: boolean
  origin: 'file' | 'api'
  high_water: Date
  last_run_at: Date | null
}

const columns = 'name, cron, timezone, queue, type, priority, payload, missed_policy, no_overlap, paused, origin, high_water, last_run_at'

const toSchedule = (row: ScheduleRow): StoredSchedule => ({
  name: row.name,
  cron: row.cron,
  timezone: row.timezone,
  queue: row.queue,
  type: row.type,
  priority: row.priority,
  payload: row.payload,
  missedPolicy: row.missed_policy,
  noOverlap: row.no_overlap,
  paused: row.paused,
  origin: row.origin,
  highWater: row.high_water,
  lastRunAt: row.last_run_at,
})

const definitionValues = (d: ScheduleDefinition) => [d.name, d.cron, d.timezone, d.queue, d.type, d.priority, JSON.stringify(d.payload), d.missedPolicy, d.noOverlap]

/**
 * The schedules, their high-water marks and their runs, in PostgreSQL: shared by every replica
 * and kept across restarts. Every write that moves a high-water mark only moves it forward, so
 * that two writers (an old leader and a new one) can never undo each other.
 */
export class ScheduleStore {
  constructor(private readonly pool: pg.Pool) {}

  /**
   * Adds the file's schedules that were never stored, and brings those still owned by the file
   * (never changed through the API) up to the file's version. A changed clock starts from now.
   */
  async seed(definitions: ScheduleDefinition[]): Promise<void> {
    for (const d of definitions) {
      await this.pool.query(
        `INSERT INTO schedules (name, cron, timezone, queue, type, priority, payload, missed_policy, no_overlap, origin, high_water)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, 'file', now())
         ON CONFLICT (name) DO UPDATE SET
           cron = EXCLUDED.cron, timezone = EXCLUDED.timezone, queue = EXCLUDED.queue, type = EXCLUDED.type,
           priority = EXCLUDED.priority, payload = EXCLUDED.payload, missed_policy = EXCLUDED.missed_policy,
           no_overlap = EXCLUDED.no_overlap, updated_at = now(),
           high_water = CASE WHEN (schedules.cron, schedules.timezone) = (EXCLUDED.cron, EXCLUDED.timezone) THEN schedules.high_water
                             ELSE GREATEST(schedules.high_water, now()) END
         WHERE schedules.origin = 'file' AND (schedules.cron, schedules.timezone, schedules.queue, schedules.type, schedules.priority,
           schedules.payload, schedules.missed_policy, schedules.no_overlap) IS DISTINCT FROM
           (EXCLUDED.cron, EXCLUDED.timezone, EXCLUDED.queue, EXCLUDED.type, EXCLUDED.priority, EXCLUDED.payload, EXCLUDED.missed_policy, EXCLUDED.no_overlap)`,
        definitionValues(d),
      )
    }
  }

  /** Every schedule that exists (not deleted), by name. */
  async list(): Promise<StoredSchedule[]> {
    const { rows } = await this.pool.query<ScheduleRow>(`SELECT ${columns} FROM schedules WHERE NOT deleted ORDER BY name`)
    return rows.map(toSchedule)
  }

  async get(name: string): Promise<StoredSchedule | undefined> {
    const { rows } = await this.pool.query<ScheduleRow>(`SELECT ${columns} FROM schedules WHERE name = $1 AND NOT deleted`, [name])
    return rows[0] ? toSchedule(rows[0]) : undefined
  }

  /**
   * Creates or replaces a schedule (it belongs to the API from now on). A new schedule, or one
   * whose expression or time zone changed, fires from the next tick after now; a deleted one comes
   * back unpaused, with a fresh history.
   */
  async put(definition: ScheduleDefinition): Promise<{ schedule: StoredSchedule; created: boolean }> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN')
      const { rows: previous } = await client.query<{ deleted: boolean }>('SELECT deleted FROM schedules WHERE name = $1 FOR UPDATE', [definition.name])
      const created = previous[0]?.deleted ?? true
      if (previous[0]?.deleted) await client.query('DELETE FROM schedule_runs WHERE schedule_name = $1', [definition.name])
      const { rows } = await client.query<ScheduleRow>(
        `INSERT INTO schedules (name, cron, timezone, queue, type, priority, payload, missed_policy, no_overlap, origin, high_water)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, 'api', now())
         ON CONFLICT (name) DO UPDATE SET
           cron = EXCLUDED.cron, timezone = EXCLUDED.timezone, queue = EXCLUDED.queue, type = EXCLUDED.type,
           priority = EXCLUDED.priority, payload = EXCLUDED.payload, missed_policy = EXCLUDED.missed_policy,
           no_overlap = EXCLUDED.no_overlap, origin = 'api', deleted = false, updated_at = now(),
           paused = schedules.paused AND NOT schedules.deleted,
           last_run_at = CASE WHEN schedules.deleted THEN NULL ELSE schedules.last_run_at END,
           high_water = CASE WHEN NOT schedules.deleted AND (schedules.cron, schedules.timezone) = (EXCLUDED.cron, EXCLUDED.timezone) THEN schedules.high_water
                             ELSE GREATEST(schedules.high_water, now()) END
         RETURNING ${columns}`,
        definitionValues(definition),
      )
      await client.query('COMMIT')
      return { schedule: toSchedule(rows[0]!), created }
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {})
      throw err
    } finally {
      client.release()
    }
  }

  /**
   * Deletes a schedule: a tombstone stays (so that the schedules file does not add a deleted
   * built-in again) and its history goes. False when there was none.
   */
  async delete(name: string): Promise<boolean> {
    const { rows } = await this.pool.query(
      `WITH gone AS (DELETE FROM schedule_runs WHERE schedule_name = $1)
       UPDATE schedules SET deleted = true, paused = false, origin = 'api', updated_at = now() WHERE name = $1 AND NOT deleted RETURNING name`,
      [name],
    )
    return rows.length > 0
  }

  async pause(name: string): Promise<StoredSchedule | undefined> {
    const { rows } = await this.pool.query<ScheduleRow>(`UPDATE schedules SET paused = true, updated_at = now() WHERE name = $1 AND NOT deleted RETURNING ${columns}`, [name])
    return rows[0] ? toSchedule(rows[0]) : undefined
  }

  /**
   * Resumes a schedule: the ticks that fell in the pause are skipped (its high-water mark moves
   * to now). Answers the schedule and the high-water mark it had, to count what was skipped.
   */
  async resume(name: string): Promise<{ schedule: StoredSchedule; previousHighWater: Date; wasPaused: boolean } | undefined> {
    const { rows } = await this.pool.query<ScheduleRow & { previous_high_water: Date; was_paused: boolean }>(
      `WITH previous AS (SELECT high_water, paused FROM schedules WHERE name = $1 AND NOT deleted FOR UPDATE)
       UPDATE schedules s SET paused = false, updated_at = now(),
         high_water = CASE WHEN p.paused THEN GREATEST(s.high_water, now()) ELSE s.high_water END
       FROM previous p WHERE s.name = $1
       RETURNING ${columns.split(', ').map((c) => `s.${c}`).join(', ')}, p.high_water AS previous_high_water, p.paused AS was_paused`,
      [name],
    )
    const row = rows[0]
    return row ? { schedule: toSchedule(row), previousHighWater: row.previous_high_water, wasPaused: row.was_paused } : undefined
  }

  /**
   * Records a fired tick and moves the high-water mark to it (a trigger leaves the mark alone).
   * Recording the same tick twice (a second leader, a retry) changes nothing.
   */
  async recordRun(name: string, run: { tick: Date; firedAt: Date; taskId: string; kind: RunKind }): Promise<void> {
    await this.pool.query(
      `WITH run AS (
         INSERT INTO schedule_runs (schedule_name, tick, fired_at, task_id, kind) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (schedule_name, tick) DO NOTHING)
       UPDATE schedules SET last_run_at = GREATEST(last_run_at, $3),
         high_water = CASE WHEN $5 = 'trigger' THEN high_water ELSE GREATEST(high_water, $2) END
       WHERE name = $1`,
      [name, run.tick, run.firedAt, run.taskId, run.kind],
    )
  }

  /** Moves a schedule's high-water mark forward over ticks skipped on purpose. */
  async advance(name: string, tick: Date): Promise<void> {
    await this.pool.query('UPDATE schedules SET high_water = $2 WHERE name = $1 AND high_water < $2', [name, tick])
  }

  /** The status of the task of the schedule's latest run (undefined without runs, `expired` once the task is gone). */
  async latestRunStatus(name: string): Promise<string | undefined> {
    const [run] = await this.runs(name, 1)
    return run?.status
  }

  /** The schedule's runs, newest first, with their tasks' statuses. */
  async runs(name: string, limit: number): Promise<RunRecord[]> {
    const { rows } = await this.pool.query<{ tick: Date; fired_at: Date; task_id: string; status: string | null }>(
      `SELECT r.tick, r.fired_at, r.task_id, t.status FROM schedule_runs r LEFT JOIN tasks t ON t.id = r.task_id
       WHERE r.schedule_name = $1 ORDER BY r.tick DESC LIMIT $2`,
      [name, limit],
    )
    return rows.map((r) => ({ tick: r.tick, firedAt: r.fired_at, taskId: r.task_id, status: r.status ?? 'expired' }))
  }

  /** Removes runs fired longer ago than `retentionMs`. */
  async deleteRunsOlderThan(retentionMs: number): Promise<number> {
    const { rowCount } = await this.pool.query('DELETE FROM schedule_runs WHERE fired_at < now() - make_interval(secs => $1)', [retentionMs / 1000])
    return rowCount ?? 0
  }
}
