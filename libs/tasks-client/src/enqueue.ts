import { randomUUID } from 'node:crypto'
import type { Subjects } from '@latchkey/events'
import { startPublishSpan } from '@latchkey/nats'
import { activeTraceContext, traceContextFrom } from '@latchkey/telemetry'
import { InvalidTaskError, PayloadTooLargeError, TaskQueueNotAllowedError, TaskQueueUnavailableError, UnknownQueueError, UnknownTaskTypeError } from './errors.ts'
import { DEFAULT_PRIORITY, isQueue, LIMITS, PRIORITIES, QUEUES, type Enqueued, type EnqueueInput, type Priority, type TaskMessage } from './model.ts'
import type { DueTask, TaskStore } from './task-store.ts'
import type { TaskPublisher } from './task-publisher.ts'

/** What the enqueuer may know of the task types (the worker's registry); absent: any type is accepted. */
export interface TaskTypeCatalog {
  /** The queues a type runs on; undefined: the type is unknown. An empty list: any queue. */
  queuesOf(type: string): readonly string[] | undefined
}

export interface EnqueueContext {
  publisher: TaskPublisher
  subjects: Subjects
  store: TaskStore
  /** Largest payload, in bytes of its JSON. */
  maxPayloadBytes: number
  catalog?: TaskTypeCatalog | undefined
  /** Told of every task that was enqueued (for metrics). */
  onEnqueued?: ((tasks: TaskMessage[]) => void) | undefined
}

/** Publications a keyed task's enqueuer has this long to confirm before the dispatcher republishes it. */
export const KEYED_DISPATCH_GRACE_MS = 10_000

const encoder = new TextEncoder()
export const encodeTask = (message: TaskMessage): Uint8Array => encoder.encode(JSON.stringify(message))

/** Checks one input against the limits and the catalog; throws the error the caller should see. */
export function validateInput(ctx: Pick<EnqueueContext, 'maxPayloadBytes' | 'catalog'>, input: EnqueueInput, index?: number): void {
  const where = index === undefined ? '' : `tasks[${index}]: `
  if (!isQueue(input.queue)) throw new UnknownQueueError(`${where}${JSON.stringify(input.queue)}`, QUEUES.join(', '))
  if (input.priority !== undefined && !PRIORITIES.includes(input.priority)) throw new InvalidTaskError(`${where}priority must be one of ${PRIORITIES.join(', ')}`)
  if (typeof input.type !== 'string' || input.type.length === 0 || input.type.length > LIMITS.typeLength) throw new InvalidTaskError(`${where}type must be a non-empty string`)
  const integer = (value: unknown, name: string, min: number, max: number) => {
    if (value === undefined) return
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) throw new InvalidTaskError(`${where}${name} must be an integer from ${min} to ${max}`)
  }
  integer(input.delayMs, 'delayMs', 0, LIMITS.maxDelayMs)
  integer(input.maxAttempts, 'maxAttempts', 1, LIMITS.maxAttempts)
  integer(input.backoff?.baseMs, 'backoff.baseMs', 1, LIMITS.maxBackoffMs)
  integer(input.backoff?.maxMs, 'backoff.maxMs', 1, LIMITS.maxBackoffMs)
  if (input.idempotencyKey !== undefined && (typeof input.idempotencyKey !== 'string' || input.idempotencyKey.length === 0 || input.idempotencyKey.length > LIMITS.idempotencyKeyLength)) {
    throw new InvalidTaskError(`${where}idempotencyKey must be 1 to ${LIMITS.idempotencyKeyLength} characters`)
  }
  if (ctx.catalog) {
    const queues = ctx.catalog.queuesOf(input.type)
    if (!queues) throw new UnknownTaskTypeError(`${where}${JSON.stringify(input.type)}`)
    if (queues.length > 0 && !queues.includes(input.queue)) throw new TaskQueueNotAllowedError(input.type, input.queue, queues.join(', '))
  }
  if (input.payload !== undefined) {
    const bytes = Buffer.byteLength(JSON.stringify(input.payload))
    if (bytes > ctx.maxPayloadBytes) throw new PayloadTooLargeError(bytes, ctx.maxPayloadBytes)
  }
}

/** Publishes tasks to their lanes, all at once, resolving when JetStream stored every one. */
export async function publishTasks(ctx: Pick<EnqueueContext, 'publisher' | 'subjects'>, tasks: DueTask[] | TaskMessage[], options: { deduplicate?: boolean } = {}): Promise<void> {
  const messages: DueTask[] = tasks.map((t) => ('message' in t ? t : { message: t, redrive: false }))
  const deduplicate = options.deduplicate ?? true
  try {
    await Promise.all(
      messages.map(({ message, redrive, traceContext }) => {
        const subject = ctx.subjects.task(message.queue, message.priority)
        // A child of the enqueue: the active span, or for a task published later from
        // PostgreSQL, the enqueue's context stored with it.
        const span = startPublishSpan(subject, { messageId: message.id, attributes: { 'latchkey.task.type': message.type }, ...(traceContext ? { parent: traceContextFrom(traceContext) } : {}) })
        // Publications that may be repeated (the dispatcher's, after a crash) carry a message id that
        // JetStream deduplicates; a redrive is a new publication. A plain enqueue is published once.
        const msgId = deduplicate ? `${message.id}${redrive ? `:r${message.offset}` : ''}` : undefined
        return span.endWith(ctx.publisher.publish(subject, encodeTask(message), msgId, span.inject()))
      }),
    )
  } catch (err) {
    throw new TaskQueueUnavailableError((err as Error).message)
  }
}

/**
 * The one way a task enters the system, used by the HTTP routes and by the client library.
 * All inputs are checked first: one bad input refuses them all, nothing enqueued.
 *
 * - A plain task is published to JetStream first (durable once acknowledged), then its `queued`
 *   row is written in the next status batch (awaited, so that a 202 is readable at once; if the
 *   worker got there first, its change comes first and the insert does nothing).
 * - A task with an idempotency key or a delay is written to PostgreSQL first, where a unique key
 *   decides which enqueue wins (the others answer the first task), and where delayed tasks wait
 *   for the dispatcher. A keyed task due now is published at once; should this process die
 *   before confirming, the dispatcher publishes it after a grace period (deduplicated by id).
 */
export async function enqueueTasks(ctx: EnqueueContext, inputs: EnqueueInput[]): Promise<Enqueued[]> {
  inputs.forEach((input, index) => validateInput(ctx, input, inputs.length > 1 ? index : undefined))
  const now = Date.now()
  const traceContext = activeTraceContext()
  const tasks = inputs.map((input) => {
    const message: TaskMessage = {
      id: randomUUID(),
      queue: input.queue,
      type: input.type,
      priority: (input.priority ?? DEFAULT_PRIORITY) as Priority,
      ...(input.payload !== undefined ? { payload: input.payload } : {}),
      createdAt: now,
      ...(input.maxAttempts !== undefined ? { maxAttempts: input.maxAttempts } : {}),
      ...(input.backoff && (input.backoff.baseMs !== undefined || input.backoff.maxMs !== undefined) ? { backoff: { ...input.backoff } } : {}),
      offset: 0,
    }
    const delayMs = input.delayMs ?? 0
    const staged = delayMs > 0 || input.idempotencyKey !== undefined
    return { message, key: input.idempotencyKey, delayMs, staged }
  })

  const answers: Enqueued[] = tasks.map((t) => ({ id: t.message.id, status: 'queued' }))
  const direct = tasks.filter((t) => !t.staged)
  const staged = tasks.filter((t) => t.staged)

  const stagedWork = (async () => {
    if (staged.length === 0) return
    const inserted = await ctx.store.writer.insert(
      staged.map((t) => ({ message: t.message, idempotencyKey: t.key, dispatchAt: now + (t.delayMs > 0 ? t.delayMs : KEYED_DISPATCH_GRACE_MS), traceContext })),
    )
    const existing = await ctx.store.findByKeys(staged.filter((_, i) => !inserted[i]).map((t) => t.key!).filter(Boolean))
    const publishNow: TaskMessage[] = []
    staged.forEach((t, i) => {
      const answer = answers[tasks.indexOf(t)]!
      if (!inserted[i]) {
        const first = t.key !== undefined ? existing.get(t.key) : undefined
        if (first) Object.assign(answer, first)
      } else if (t.delayMs === 0) publishNow.push(t.message)
    })
    if (publishNow.length > 0) {
      await publishTasks(ctx, publishNow)
      await ctx.store.markDispatched(publishNow.map((m) => m.id))
    }
    ctx.onEnqueued?.(staged.filter((_, i) => inserted[i]).map((t) => t.message))
  })()

  const directWork = (async () => {
    if (direct.length === 0) return
    await publishTasks(ctx, direct.map((t) => t.message), { deduplicate: false })
    await ctx.store.writer.insert(direct.map((t) => ({ message: t.message, traceContext })))
    ctx.onEnqueued?.(direct.map((t) => t.message))
  })()

  await Promise.all([stagedWork, directWork])
  return answers
}
