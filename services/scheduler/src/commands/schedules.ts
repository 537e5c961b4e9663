import { countTicks, nextTick } from '../schedule/cron.ts'
import { validateDefinition, withDefaults, type ScheduleSpec } from '../schedule/definition.ts'
import { tickKey } from '../engine/ticker.ts'
import { ScheduleNotFoundError } from '../errors.ts'
import type { SchedulerContext } from '../context.ts'
import type { RunRecord, StoredSchedule } from '../store/schedule-store.ts'
import type { ScheduleView } from '../schedule/views.ts'

export function toView(schedule: StoredSchedule, now = new Date()): ScheduleView {
  return {
    name: schedule.name,
    cron: schedule.cron,
    timezone: schedule.timezone,
    queue: schedule.queue,
    type: schedule.type,
    priority: schedule.priority,
    payload: schedule.payload,
    paused: schedule.paused,
    lastRunAt: schedule.lastRunAt?.toISOString() ?? null,
    nextRunAt: schedule.paused ? null : nextTick(schedule, new Date(Math.max(now.getTime(), schedule.highWater.getTime()))).toISOString(),
    missedPolicy: schedule.missedPolicy,
    noOverlap: schedule.noOverlap,
  }
}

export async function listSchedules(ctx: SchedulerContext): Promise<{ items: ScheduleView[]; leader: boolean }> {
  const now = new Date()
  return { items: (await ctx.store.list()).map((s) => toView(s, now)), leader: ctx.isLeader() }
}

export async function getSchedule(ctx: SchedulerContext, name: string): Promise<StoredSchedule> {
  const schedule = await ctx.store.get(name)
  if (!schedule) throw new ScheduleNotFoundError(name)
  return schedule
}

/** Creates or replaces a schedule; everything is checked first, so a bad one changes nothing. */
export async function putSchedule(ctx: SchedulerContext, name: string, spec: ScheduleSpec): Promise<{ schedule: ScheduleView; created: boolean }> {
  const definition = withDefaults(name, spec)
  validateDefinition(definition, ctx.task)
  const { schedule, created } = await ctx.store.put(definition)
  ctx.log.info({ schedule: name, cron: definition.cron, timezone: definition.timezone, created }, created ? 'schedule created' : 'schedule replaced')
  return { schedule: toView(schedule), created }
}

export async function deleteSchedule(ctx: SchedulerContext, name: string): Promise<void> {
  if (!(await ctx.store.delete(name))) throw new ScheduleNotFoundError(name)
  ctx.log.info({ schedule: name }, 'schedule deleted')
}

export async function pauseSchedule(ctx: SchedulerContext, name: string): Promise<ScheduleView> {
  const schedule = await ctx.store.pause(name)
  if (!schedule) throw new ScheduleNotFoundError(name)
  return toView(schedule)
}

/** Resumes a schedule; the ticks that fell in the pause are skipped (and counted). */
export async function resumeSchedule(ctx: SchedulerContext, name: string): Promise<ScheduleView> {
  const resumed = await ctx.store.resume(name)
  if (!resumed) throw new ScheduleNotFoundError(name)
  if (resumed.wasPaused) {
    const { count, estimated } = countTicks(resumed.schedule, resumed.previousHighWater, resumed.schedule.highWater)
    ctx.metrics.recordSkipped(name, 'paused', count)
    ctx.log.info({ schedule: name, skipped: count, estimated }, 'schedule resumed; the ticks of the pause were skipped')
  }
  return toView(resumed.schedule)
}

/**
 * Fires a schedule now, on this replica (leader or not): its task is enqueued and the run is
 * recorded with the current time as its tick. The high-water mark does not move: the schedule's
 * own ticks fire as before.
 */
export async function triggerSchedule(ctx: SchedulerContext, name: string): Promise<RunRecord> {
  const schedule = await getSchedule(ctx, name)
  const tick = new Date()
  const [enqueued] = await ctx.enqueue([
    { queue: schedule.queue, type: schedule.type, priority: schedule.priority, ...(schedule.payload !== null ? { payload: schedule.payload } : {}), idempotencyKey: `${tickKey(name, tick)}:trigger` },
  ])
  const firedAt = new Date()
  await ctx.store.recordRun(name, { tick, firedAt, taskId: enqueued!.id, kind: 'trigger' })
  ctx.metrics.recordFired(name, 'trigger', 0)
  return { tick, firedAt, taskId: enqueued!.id, status: enqueued!.status }
}

export async function listRuns(ctx: SchedulerContext, name: string, limit: number): Promise<RunRecord[]> {
  await getSchedule(ctx, name)
  return ctx.store.runs(name, limit)
}
