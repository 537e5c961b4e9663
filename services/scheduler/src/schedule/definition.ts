import Type, { type Static } from 'typebox'
import { LIMITS, PrioritySchema, QueueSchema, validateInput, type Priority, type QueueName, type TaskTypeCatalog } from '@latchkey/tasks-client'
import { validateCron, validateTimezone } from './cron.ts'

export const MISSED_POLICIES = ['skip', 'fire_once'] as const
export type MissedPolicy = (typeof MISSED_POLICIES)[number]

export const SCHEDULE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$'

/** What defines a schedule: the body of `PUT /v1/schedules/:name` and an entry of the schedules file. */
export const ScheduleSpecSchema = Type.Object({
  cron: Type.String({ minLength: 1, maxLength: 200, description: 'node-cron expression: 5 fields, or 6 with a leading seconds field' }),
  queue: QueueSchema,
  type: Type.String({ minLength: 1, maxLength: LIMITS.typeLength, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Task type, e.g. system.health_check' }),
  priority: Type.Optional(PrioritySchema),
  payload: Type.Optional(Type.Unknown({ description: 'Any JSON value, handed to the task' })),
  timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone the expression is read in (default UTC)' })),
  missedPolicy: Type.Optional(
    Type.Union([Type.Literal('skip'), Type.Literal('fire_once')], {
      description: 'Ticks missed for longer than the catch-up window (every replica down): skip them, or fire the latest once (default skip)',
    }),
  ),
  noOverlap: Type.Optional(Type.Boolean({ description: 'Skip a tick while the task of the previous run has not finished (default false)' })),
})
export type ScheduleSpec = Static<typeof ScheduleSpecSchema>

/** A schedule with every default filled in. */
export interface ScheduleDefinition {
  name: string
  cron: string
  timezone: string
  queue: QueueName
  type: string
  priority: Priority
  payload: unknown
  missedPolicy: MissedPolicy
  noOverlap: boolean
}

export const DEFAULT_TIMEZONE = 'UTC'

export function withDefaults(name: string, spec: ScheduleSpec): ScheduleDefinition {
  return {
    name,
    cron: spec.cron.trim(),
    timezone: spec.timezone ?? DEFAULT_TIMEZONE,
    queue: spec.queue,
    type: spec.type,
    priority: spec.priority ?? 'medium',
    payload: spec.payload ?? null,
    missedPolicy: spec.missedPolicy ?? 'skip',
    noOverlap: spec.noOverlap ?? false,
  }
}

/**
 * Checks what a schema cannot: the expression, the time zone, and the task (queue, type against
 * the worker's catalog, payload size), with the same errors as an enqueue. Throws the 4xx to answer.
 */
export function validateDefinition(definition: ScheduleDefinition, task: { catalog: TaskTypeCatalog; maxPayloadBytes: number }): void {
  validateCron(definition.cron)
  validateTimezone(definition.timezone)
  validateInput(task, { queue: definition.queue, type: definition.type, priority: definition.priority, payload: definition.payload })
}
