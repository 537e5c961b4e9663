import Type from 'typebox'
import { QueueSchema, StatusSchema } from '@latchkey/tasks-client'

export const ErrorBody = Type.Object({ statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String() })

/** The error answers a route may give, for its OpenAPI description and response serialization. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries([400, ...codes].map((code) => [code, ErrorBody]))
}

export const TaskParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$', description: 'Task id (a UUID)' }) })
export const QueueParams = Type.Object({ queue: QueueSchema })
// Query strings are strings (no coercion): the limit is checked as digits, then bounded.
export const ListTasksQuery = Type.Object({
  queue: Type.Optional(QueueSchema),
  status: Type.Optional(StatusSchema),
  limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 1000, default 50' })),
})
