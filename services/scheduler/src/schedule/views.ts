import Type, { type Static } from 'typebox'

// What the API shows of a schedule and of a run: the response schemas and the commands' types.

export const ScheduleSchema = Type.Object({
  name: Type.String(),
  cron: Type.String(),
  timezone: Type.String(),
  queue: Type.String(),
  type: Type.String(),
  priority: Type.String(),
  payload: Type.Unknown(),
  paused: Type.Boolean(),
  lastRunAt: Type.Union([Type.String(), Type.Null()], { description: 'When the latest run fired' }),
  nextRunAt: Type.Union([Type.String(), Type.Null()], { description: 'The next tick (null while paused)' }),
  missedPolicy: Type.String({ description: 'skip or fire_once: ticks missed beyond the catch-up window' }),
  noOverlap: Type.Boolean({ description: 'A tick is skipped while the previous run has not finished' }),
})

export const RunSchema = Type.Object({
  tick: Type.String({ description: 'The scheduled time (a trigger: when it was asked for), ISO 8601' }),
  firedAt: Type.String({ description: 'When its task was enqueued' }),
  taskId: Type.String(),
  status: Type.String({ description: "The task's status; expired once task retention removed it" }),
})
export type ScheduleView = Static<typeof ScheduleSchema>
