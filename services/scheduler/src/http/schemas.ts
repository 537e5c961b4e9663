import Type from 'typebox'
import { SCHEDULE_NAME_PATTERN } from '../schedule/definition.ts'

export const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

/** The error answers a route may give, for its OpenAPI description and response serialization. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries([400, ...codes].map((code) => [code, ErrorBody]))
}

export const ScheduleParams = Type.Object({ name: Type.String({ pattern: SCHEDULE_NAME_PATTERN, description: 'Schedule name' }) })

// Query strings are strings (no coercion): the limit is checked as digits, then bounded.
export const RunsQuery = Type.Object({ limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 1000, default 100' })) })
