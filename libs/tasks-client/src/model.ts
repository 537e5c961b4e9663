import Type, { type Static } from 'typebox'

// The task worker's vocabulary (see ../../shared/CONTRACT.md, "Task worker"), declared once and
// used by the HTTP routes, the client library, the worker and OpenAPI.

export const QUEUES = ['workflow', 'auth', 'file_processing', 'business_processes', 'system'] as const
export type QueueName = (typeof QUEUES)[number]

/** Lanes, in the order workers prefer them. */
export const PRIORITIES = ['high', 'medium', 'low'] as const
export type Priority = (typeof PRIORITIES)[number]
export const DEFAULT_PRIORITY: Priority = 'medium'

export const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled'] as const
export type TaskStatus = (typeof STATUSES)[number]

export const isQueue = (value: string): value is QueueName => (QUEUES as readonly string[]).includes(value)

/** Upper bounds of what a task may ask for (so that one request cannot park work for years). */
export const LIMITS = {
  maxDelayMs: 30 * 24 * 3_600_000,
  maxAttempts: 100,
  maxBackoffMs: 24 * 3_600_000,
  maxBulk: 1_000,
  idempotencyKeyLength: 200,
  typeLength: 100,
} as const

export const QueueSchema = Type.Union(
  [Type.Literal('workflow'), Type.Literal('auth'), Type.Literal('file_processing'), Type.Literal('business_processes'), Type.Literal('system')],
  { description: 'Queue' },
)
export const PrioritySchema = Type.Union([Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')], { description: 'Priority lane (default medium)' })
export const StatusSchema = Type.Union(
  [Type.Literal('queued'), Type.Literal('running'), Type.Literal('succeeded'), Type.Literal('failed'), Type.Literal('dead'), Type.Literal('cancelled')],
  { description: 'queued, running, succeeded, failed (will retry), dead (attempts spent), cancelled' },
)

export const BackoffSchema = Type.Object(
  {
    baseMs: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.maxBackoffMs })),
    maxMs: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.maxBackoffMs })),
  },
  { description: 'Exponential backoff with full jitter: retry n waits a random time in [0, min(maxMs, baseMs·2^(n-1))]' },
)

export const EnqueueTaskSchema = Type.Object({
  queue: QueueSchema,
  type: Type.String({ minLength: 1, maxLength: LIMITS.typeLength, pattern: '^[A-Za-z0-9_.:-]+$', description: 'Task type, e.g. system.echo' }),
  payload: Type.Optional(Type.Unknown({ description: 'Any JSON value, handed to the handler' })),
  priority: Type.Optional(PrioritySchema),
  idempotencyKey: Type.Optional(Type.String({ minLength: 1, maxLength: LIMITS.idempotencyKeyLength, description: 'A second enqueue with the same key answers the first task' })),
  delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: LIMITS.maxDelayMs, description: 'Run no earlier than this many ms from now' })),
  maxAttempts: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.maxAttempts })),
  backoff: Type.Optional(BackoffSchema),
})
export type EnqueueInput = Static<typeof EnqueueTaskSchema>

export const BulkEnqueueSchema = Type.Object({ tasks: Type.Array(EnqueueTaskSchema, { minItems: 1, maxItems: LIMITS.maxBulk }) })

export const EnqueuedSchema = Type.Object({ id: Type.String(), status: StatusSchema })
export type Enqueued = Static<typeof EnqueuedSchema>

export const AttemptSchema = Type.Object({
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
})

export const TaskSchema = Type.Object({
  id: Type.String(),
  queue: Type.String(),
  type: Type.String(),
  priority: Type.String(),
  status: StatusSchema,
  attempts: Type.Integer({ description: 'Every attempt that started, a crashed one included' }),
  createdAt: Type.String(),
  startedAt: Type.Optional(Type.String({ description: 'Start of the latest attempt' })),
  finishedAt: Type.Optional(Type.String()),
  result: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  attemptLog: Type.Array(AttemptSchema),
})
export type TaskView = Static<typeof TaskSchema>

/**
 * A task as it travels on JetStream. `offset` is the number of attempts made before this message
 * was published (a redriven task continues its count): attempt = offset + delivery count.
 */
export interface TaskMessage {
  id: string
  queue: QueueName
  type: string
  priority: Priority
  payload?: unknown
  createdAt: number
  maxAttempts?: number
  backoff?: { baseMs?: number; maxMs?: number }
  offset: number
}
