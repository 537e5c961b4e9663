import { SpanStatusCode, trace } from '@opentelemetry/api'
import type { Log } from '@latchkey/logger'
import { InvalidTaskError, PayloadTooLargeError, TaskQueueNotAllowedError, UnknownQueueError, UnknownTaskTypeError, type Enqueued, type EnqueueInput } from '@latchkey/tasks-client'
import { countTicks, latestTickAtOrBefore, nextTick, ticksBetween } from '../schedule/cron.ts'
import type { RunKind, ScheduleStore, StoredSchedule } from '../store/schedule-store.ts'
import type { SchedulerMetrics } from './metrics.ts'

const tracer = trace.getTracer('@latchkey/scheduler')

/** The idempotency key of a tick's task: a second publisher of the same tick gets the first task. */
export const tickKey = (name: string, tick: Date): string => `schedule:${name}:${tick.toISOString()}`

/** Statuses of a task that has not finished: a `noOverlap` schedule skips its tick meanwhile. */
const UNFINISHED = new Set(['queued', 'running', 'failed'])

/** Ticks fired per schedule in one pass (a schedule every second after a long failover catches up over a few passes). */
const MAX_TICKS_PER_PASS = 1_000
const RUN_CLEANUP_EVERY_MS = 3_600_000

/** Bad input that no retry fixes: the tick is skipped, not retried forever. */
const isPermanent = (err: unknown) =>
  err instanceof UnknownTaskTypeError || err instanceof TaskQueueNotAllowedError || err instanceof UnknownQueueError || err instanceof InvalidTaskError || err instanceof PayloadTooLargeError

export interface TickerOptions {
  store: ScheduleStore
  enqueue(inputs: EnqueueInput[]): Promise<Enqueued[]>
  isLeader(): boolean
  metrics: SchedulerMetrics
  log: Log
  catchUpWindowMs: number
  pollMs: number
  runRetentionMs: number
}

/**
 * The leader's loop. Each pass reads the schedules from PostgreSQL (so that changes made on any
 * replica apply) and fires, per schedule and in order, the ticks after its high-water mark:
 *
 * - a tick is fired by enqueueing its task with the key `schedule:<name>:<tick>`, then recording
 *   the run and moving the high-water mark to it. A leader that dies in between leaves the mark
 *   behind; the next leader fires the tick again and the key gives it the same task, so each tick
 *   enqueues one task and records one run, however often it is fired;
 * - ticks within the catch-up window (a failover) are fired late; older ones (every replica was
 *   down) follow the schedule's policy: `skip`, or `fire_once` (the latest of them, once);
 * - a `noOverlap` schedule skips a tick while the task of its previous run has not finished.
 *
 * Between passes it sleeps until the next tick of any schedule, or `pollMs` at most.
 */
export class Ticker {
  private timer: NodeJS.Timeout | undefined
  private pass: Promise<void> | undefined
  private active = false
  private failing = false
  private lastCleanup = 0

  constructor(private readonly options: TickerOptions) {}

  /** Starts passes (on becoming leader). */
  resume(): void {
    this.active = true
    this.wake(0)
  }

  /** Stops after the pass in flight (on losing the lead, at shutdown). */
  async halt(): Promise<void> {
    this.active = false
    clearTimeout(this.timer)
    await this.pass
  }

  private wake(delayMs: number): void {
    clearTimeout(this.timer)
    if (!this.active) return
    this.timer = setTimeout(() => {
      if (this.pass) return
      this.pass = this.runPass()
        .catch((err: Error) => {
          // Said once per outage, not every pass; the ticks stay due and fire when it recovers.
          if (!this.failing) this.options.log.warn({ err: { message: err.message } }, 'firing schedules failed; retrying every poll')
          this.failing = true
          return this.options.pollMs
        })
        .then((next) => {
          this.pass = undefined
          this.wake(next)
        })
    }, delayMs)
  }

  /** One pass; answers how long to sleep before the next. */
  private async runPass(): Promise<number> {
    if (!this.options.isLeader()) return this.options.pollMs
    // The ticks due are those up to the moment the schedules are read: a pause that commits
    // after the read stops the ticks after it, never one that was already due.
    const now = new Date()
    const schedules = (await this.options.store.list()).filter((s) => !s.paused)
    await Promise.all(schedules.map((schedule) => this.fireDue(schedule, now)))
    if (this.failing) this.options.log.info('firing schedules works again')
    this.failing = false
    if (Date.now() - this.lastCleanup > RUN_CLEANUP_EVERY_MS) {
      this.lastCleanup = Date.now()
      await this.options.store.deleteRunsOlderThan(this.options.runRetentionMs)
    }
    let next = Date.now() + this.options.pollMs
    for (const schedule of schedules) next = Math.min(next, nextTick(schedule, new Date(Math.max(now.getTime(), schedule.highWater.getTime()))).getTime())
    return Math.max(0, next - Date.now())
  }

  private async fireDue(schedule: StoredSchedule, now: Date): Promise<void> {
    const cutoff = new Date(now.getTime() - this.options.catchUpWindowMs)
    let after = schedule.highWater
    if (after < cutoff) {
      await this.handleLongGap(schedule, cutoff)
      after = cutoff
    }
    const { ticks } = ticksBetween(schedule, after, now, MAX_TICKS_PER_PASS)
    for (const tick of ticks) {
      if (!this.options.isLeader()) return
      if (schedule.noOverlap && UNFINISHED.has((await this.options.store.latestRunStatus(schedule.name)) ?? 'none')) {
        await this.options.store.advance(schedule.name, tick)
        this.options.metrics.recordSkipped(schedule.name, 'overlap')
        this.options.log.info({ schedule: schedule.name, tick: tick.toISOString() }, 'tick skipped: the previous run is still running')
        continue
      }
      await this.fire(schedule, tick, 'tick')
    }
  }

  /** Ticks older than the catch-up window: every replica was down. Skip them, or fire the latest once. */
  private async handleLongGap(schedule: StoredSchedule, cutoff: Date): Promise<void> {
    const latest = latestTickAtOrBefore(schedule, cutoff)
    if (!latest || latest <= schedule.highWater) return
    const { count, estimated } = countTicks(schedule, schedule.highWater, cutoff)
    const fireOnce = schedule.missedPolicy === 'fire_once'
    const missed = count - (fireOnce ? 1 : 0)
    this.options.log.warn(
      { schedule: schedule.name, since: schedule.highWater.toISOString(), missed, estimated, policy: schedule.missedPolicy },
      fireOnce ? 'ticks missed while no scheduler ran; firing the latest once' : 'ticks missed while no scheduler ran; skipped',
    )
    this.options.metrics.recordMissed(schedule.name, missed)
    if (fireOnce) await this.fire(schedule, latest, 'catch_up')
    else await this.options.store.advance(schedule.name, latest)
  }

  /** One span per fired tick (when tracing is on): the task it enqueues continues its trace. */
  private fire(schedule: StoredSchedule, tick: Date, kind: RunKind): Promise<void> {
    const attributes = { 'latchkey.schedule': schedule.name, 'latchkey.schedule.tick': tick.toISOString(), 'latchkey.schedule.run_kind': kind }
    return tracer.startActiveSpan(`schedule ${schedule.name}`, { attributes }, async (span) => {
      try {
        await this.enqueueTick(schedule, tick, kind)
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message })
        throw err
      } finally {
        span.end()
      }
    })
  }

  private async enqueueTick(schedule: StoredSchedule, tick: Date, kind: RunKind): Promise<void> {
    let taskId: string
    try {
      const [enqueued] = await this.options.enqueue([
        { queue: schedule.queue, type: schedule.type, priority: schedule.priority, ...(schedule.payload !== null ? { payload: schedule.payload } : {}), idempotencyKey: tickKey(schedule.name, tick) },
      ])
      taskId = enqueued!.id
    } catch (err) {
      if (!isPermanent(err)) throw err
      // The worker of this build no longer takes the task (a type removed, say): skip, say why.
      this.options.log.error({ schedule: schedule.name, tick: tick.toISOString(), err: { message: (err as Error).message } }, 'tick skipped: its task is refused')
      this.options.metrics.recordSkipped(schedule.name, 'invalid')
      await this.options.store.advance(schedule.name, tick)
      return
    }
    const firedAt = new Date()
    await this.options.store.recordRun(schedule.name, { tick, firedAt, taskId, kind })
    this.options.metrics.recordFired(schedule.name, kind, (firedAt.getTime() - tick.getTime()) / 1000)
  }
}
