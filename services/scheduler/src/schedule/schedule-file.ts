import { readFileSync } from 'node:fs'
import Type, { type Static } from 'typebox'
import Value from 'typebox/value'
import { UnknownTaskTypeError, type TaskTypeCatalog } from '@latchkey/tasks-client'
import { SCHEDULE_NAME_PATTERN, ScheduleSpecSchema, validateDefinition, withDefaults, type ScheduleDefinition } from './definition.ts'

/** The versioned schedules file: the built-in schedules, seeded into the store at start. */
export const ScheduleFileSchema = Type.Object({
  version: Type.Literal(1),
  schedules: Type.Array(
    Type.Intersect([Type.Object({ name: Type.String({ pattern: SCHEDULE_NAME_PATTERN }), description: Type.Optional(Type.String()) }), ScheduleSpecSchema]),
  ),
})
type ScheduleFile = Static<typeof ScheduleFileSchema>

export class ScheduleFileError extends Error {
  override name = 'ScheduleFileError'
}

export interface LoadedScheduleFile {
  /** Valid schedules whose task types this build registers. */
  schedules: ScheduleDefinition[]
  /** Valid schedules whose task type no handler of this build registers (not seeded, reported). */
  unknownTypes: ScheduleDefinition[]
}

/**
 * Reads and checks the schedules file. Anything wrong in it (JSON, shape, a duplicate name, a
 * cron expression, a time zone, a queue, a queue the type may not run on, a payload too large)
 * stops the start with an error naming the file and the schedule. A task type that no handler
 * of this build registers does not: the schedule is set aside and reported, since the file is
 * shared by builds that may not carry every handler.
 */
export function loadScheduleFile(path: string, task: { catalog: TaskTypeCatalog; maxPayloadBytes: number }): LoadedScheduleFile {
  let parsed: unknown
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    throw new ScheduleFileError(`SCHEDULES_FILE ${path}: ${(err as Error).message}`)
  }
  if (!Value.Check(ScheduleFileSchema, parsed)) {
    const [first] = [...Value.Errors(ScheduleFileSchema, parsed)]
    throw new ScheduleFileError(`SCHEDULES_FILE ${path}: ${first ? `${first.instancePath || '/'} ${first.message}` : 'not a schedules file (version 1)'}`)
  }
  const file = parsed as ScheduleFile
  const loaded: LoadedScheduleFile = { schedules: [], unknownTypes: [] }
  const seen = new Set<string>()
  for (const entry of file.schedules) {
    if (seen.has(entry.name)) throw new ScheduleFileError(`SCHEDULES_FILE ${path}: schedule ${entry.name} appears twice`)
    seen.add(entry.name)
    const { name, description: _description, ...spec } = entry
    const definition = withDefaults(name, spec)
    try {
      validateDefinition(definition, task)
      loaded.schedules.push(definition)
    } catch (err) {
      if (err instanceof UnknownTaskTypeError) loaded.unknownTypes.push(definition)
      else throw new ScheduleFileError(`SCHEDULES_FILE ${path}: schedule ${name}: ${(err as Error).message}`)
    }
  }
  return loaded
}
