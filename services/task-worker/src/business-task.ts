import type { QueueName } from '@latchkey/tasks-client'
import type { Static, TSchema } from 'typebox'
import Value from 'typebox/value'
import { defineTask, TaskRejectedError, type TaskContext, type TaskDefinition } from './registry.ts'

/** A client error of the business functions (`LK_ERR_*` with a 4xx status): no retry can fix it. */
const isInputError = (err: unknown): err is Error => {
  const status = (err as { statusCode?: number } | null)?.statusCode
  return err instanceof Error && typeof status === 'number' && status >= 400 && status < 500
}

/** The first problem of a payload, in words (TypeBox says "schema is false" of an unknown property). */
function describePayloadError(schema: TSchema, value: unknown): string {
  const first = [...Value.Errors(schema, value)][0]
  if (!first) return 'payload is invalid'
  const message = first.message === 'schema is false' ? 'is not allowed' : first.message
  return `payload${first.instancePath} ${message}`
}

/**
 * A business processor's task type: its payload is checked against `payload` (a task whose
 * payload does not match goes dead at once, with the first problem as its error), and a
 * business input error (an organization or a file that does not exist, a path leaving the
 * storage directory) also kills the task instead of retrying it.
 */
export function defineBusinessTask<S extends TSchema, Result>(definition: {
  type: string
  description: string
  queues: readonly QueueName[]
  payload: S
  maxAttempts?: number
  backoff?: { baseMs?: number; maxMs?: number }
  timeoutMs?: number
  run(payload: Static<S>, context: TaskContext): Promise<Result>
}): TaskDefinition<unknown, Result> {
  const { payload: schema, run, ...rest } = definition
  return defineTask<unknown, Result>({
    ...rest,
    async handle(payload, context) {
      const value = payload ?? {}
      if (!Value.Check(schema, value)) {
        throw new TaskRejectedError(`${definition.type}: ${describePayloadError(schema, value)}`)
      }
      try {
        return await run(value as Static<S>, context)
      } catch (err) {
        if (isInputError(err)) throw new TaskRejectedError(`${definition.type}: ${err.message}`)
        throw err
      }
    },
  })
}
