import Type from 'typebox'
import { SCHEDULE_NAME_PATTERN } from '../schedule/definition.ts'

export const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

/** The error answers a route may give, for its OpenAPI description and response serialization. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries([400, ...codes].map((code) => [code, ErrorBody]))
}

export const ScheduleParams = Type.Object({ name: Type.String({ pattern: SCHEDULE_NAME_PATTERN, description: 'Schedule name' }) })

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

// Query strings are strings (no coercion): the limit is checked as digits, then bounded.
export const RunsQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 1000, default 100' })) })
