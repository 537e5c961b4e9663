import { readdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import type { Database } from '@latchkey/db'
import type { Log } from '@latchkey/logger'
import type { Priority, QueueName, TaskTypeCatalog } from '@latchkey/tasks-client'

/** What a handler knows of the attempt it runs. */
export interface TaskContext {
  id: string
  queue: QueueName
  type: string
  priority: Priority
  /** 1 for the first attempt; counts every attempt that started, a crashed one included. */
  attempt: number
  maxAttempts: number
  /** Aborted when the attempt times out or the worker hands the task back at shutdown. */
  signal: AbortSignal
  log: Log
  /** The process's PostgreSQL client, for handlers whose work is in the database. */
  db: Database
}

export interface TaskDefinition<Payload = any, Result = unknown> {
  /** The task type, e.g. `system.echo`. */
  type: string
  description?: string
  /** Queues the type may be enqueued on (default: any). */
  queues?: readonly QueueName[]
  /** Default attempts (a task may override it). Default 5. */
  maxAttempts?: number
  /** Default backoff (a task may override it). Default base 1 s, cap 5 min. */
  backoff?: { baseMs?: number; maxMs?: number }
  /** An attempt running longer fails (default TASK_DEFAULT_TIMEOUT). */
  timeoutMs?: number
  /**
   * Runs one attempt. Resolve with the result (JSON), throw to fail the attempt (retried with
   * backoff), or throw `TaskRejectedError` when retrying cannot help (the task goes dead at once).
   * A task may run more than once (a crash after its work, before its acknowledgement): make it
   * idempotent (see docs/task-worker.md).
   */
  handle(payload: Payload, context: TaskContext): Promise<Result> | Result
}

/** A handler's refusal that no retry can fix (a malformed payload, say): the task is dead at once. */
export class TaskRejectedError extends Error {
  override name = 'TaskRejectedError'
}

export const defineTask = <Payload = any, Result = unknown>(definition: TaskDefinition<Payload, Result>): TaskDefinition<Payload, Result> => definition

export const DEFAULT_MAX_ATTEMPTS = 5
export const DEFAULT_BACKOFF = { baseMs: 1_000, maxMs: 300_000 }

/** The task types this worker runs, by type. Also the enqueue side's catalog of known types. */
export class TaskRegistry implements TaskTypeCatalog {
  private readonly definitions = new Map<string, TaskDefinition>()

  register(definition: TaskDefinition): void {
    if (!/^[A-Za-z0-9_.:-]{1,100}$/.test(definition.type)) throw new Error(`Invalid task type ${JSON.stringify(definition.type)}`)
    if (this.definitions.has(definition.type)) throw new Error(`Task type ${definition.type} is registered twice`)
    this.definitions.set(definition.type, definition)
  }

  get(type: string): TaskDefinition | undefined {
    return this.definitions.get(type)
  }

  queuesOf(type: string): readonly string[] | undefined {
    const definition = this.definitions.get(type)
    return definition ? (definition.queues ?? []) : undefined
  }

  types(): string[] {
    return [...this.definitions.keys()].sort()
  }
}

const isDefinition = (value: unknown): value is TaskDefinition =>
  typeof value === 'object' && value !== null && typeof (value as TaskDefinition).type === 'string' && typeof (value as TaskDefinition).handle === 'function'

/**
 * Registers every handler module of a folder (default `src/handlers`): each module exports one
 * or more task definitions (`export default defineTask({...})`). Adding a processor is adding a
 * module there; nothing else lists it.
 */
export async function loadHandlerModules(registry: TaskRegistry, folder: URL = new URL('./handlers/', import.meta.url), log?: Log): Promise<void> {
  const path = fileURLToPath(folder)
  const files = readdirSync(path)
    .filter((name) => /\.(ts|js|mjs)$/.test(name) && !/\.(test|d)\.[a-z]+$/.test(name) && !name.startsWith('_'))
    .sort()
  for (const file of files) {
    const module = (await import(pathToFileURL(join(path, file)).href)) as Record<string, unknown>
    const definitions = Object.values(module).filter(isDefinition)
    if (definitions.length === 0) throw new Error(`Handler module ${file} exports no task definition (export default defineTask({...}))`)
    for (const definition of definitions) if (registry.get(definition.type) !== definition) registry.register(definition)
    log?.debug({ file, types: definitions.map((d) => d.type) }, 'task handlers loaded')
  }
}
