import type { Msg } from '@nats-io/transport-node'
import type { Subjects } from '@latchkey/events'
import type { Log } from '@latchkey/logger'
import { messageContext, startProcessSpan, startPublishSpan } from '@latchkey/nats'
import { encodeTask, PHASE, type Progress, type TaskMessage, type TaskPublisher, type TaskStore } from '@latchkey/tasks-client'
import { DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS, TaskRejectedError, type TaskRegistry } from '../registry.ts'
import { AttemptContext, runHandler, type HandlerOutcome } from './attempt-context.ts'
import { retryDelayMs } from './backoff.ts'
import type { TaskServices } from '../task-services.ts'
import type { TaskMetrics } from './metrics.ts'
import { ack, deliveryInfo, nak } from './pull.ts'
import type { HeldTask, TaskExecutor } from './queue-runner.ts'

const decoder = new TextDecoder()
const maxResultBytes = 1_048_576
const maxErrorLength = 4_000

function describe(err: unknown): string {
  if (err instanceof Error) return (err.message || err.name).slice(0, maxErrorLength)
  try {
    return `non-error thrown: ${JSON.stringify(err)}`.slice(0, maxErrorLength)
  } catch {
    return 'non-error thrown'
  }
}

export interface ExecutorOptions {
  registry: TaskRegistry
  store: TaskStore
  publisher: TaskPublisher
  subjects: Subjects
  metrics: TaskMetrics
  log: Log
  /** Ids of cancelled tasks (kept by the cancellation watcher). */
  cancelled: { has(id: string): boolean }
  defaultTimeoutMs: number
  /** Handed to every handler as `context.services`. */
  services: TaskServices
}

/**
 * Runs one delivery of a task: decides which attempt it is, records the start, runs the handler
 * (with a timeout and an abort signal), records the outcome, and only then acknowledges the
 * message (succeeded or dead) or hands it back with a delay for its retry (delayed NAK).
 */
export class Executor implements TaskExecutor {
  constructor(private readonly options: ExecutorOptions) {}

  async execute(running: HeldTask): Promise<void> {
    try {
      await this.deliver(running)
    } catch (err) {
      this.options.log.error({ err, subject: running.msg.subject }, 'task execution failed unexpectedly')
    } finally {
      running.finish()
    }
  }

  private async deliver(running: HeldTask): Promise<void> {
    const { metrics } = this.options
    const msg = running.msg
    let task: TaskMessage
    try {
      task = JSON.parse(decoder.decode(msg.data)) as TaskMessage
      if (typeof task?.id !== 'string' || typeof task.type !== 'string') throw new Error('not a task')
    } catch (err) {
      // Nothing can ever run it: drop it (acknowledged), loudly.
      this.options.log.error({ subject: msg.subject, err: { message: (err as Error).message } }, 'undecodable task message dropped')
      ack(msg)
      return
    }
    if (this.options.cancelled.has(task.id)) {
      ack(msg)
      metrics.outcome(task, 'cancelled', 0)
      return
    }
    const { deliveryCount } = running.delivery
    // A redelivery of a task whose final outcome is already written: the acknowledgement that
    // followed it was lost (sent while NATS was unreachable, which the client drops, or the worker
    // died between writing and acknowledging). Acknowledge it only: running it again would spend an
    // attempt, and past maxAttempts declare a task that succeeded dead. One read per redelivery,
    // none for first deliveries; should the read fail, the task runs as it would without it.
    if (deliveryCount > 1 && (await this.options.store.hasFinished(task.id).catch(() => false))) {
      ack(msg)
      return
    }
    // A span per attempt, a child of the enqueue's publish: the handler's own work is inside it.
    const span = startProcessSpan(msg, {
      consumerGroup: this.options.subjects.taskConsumer(task.queue, task.priority),
      messageId: task.id,
      attributes: { 'latchkey.task.type': task.type, 'latchkey.task.attempt': (task.offset ?? 0) + deliveryCount },
    })
    const error = await span.run(() => this.attempt(msg, task, deliveryCount, running))
    span.end(error)
  }

  /** Runs one attempt and records its outcome; answers its error when it did not succeed. */
  private async attempt(msg: Msg, task: TaskMessage, deliveryCount: number, running: HeldTask): Promise<string | undefined> {
    const { store, registry, metrics } = this.options
    const definition = registry.get(task.type)
    const maxAttempts = task.maxAttempts ?? definition?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
    const attempt = (task.offset ?? 0) + deliveryCount

    if (deliveryCount > maxAttempts) {
      // The last attempt started but never reported: its worker died (or hung past its lease).
      running.release()
      const error = `attempt ${attempt - 1} of ${maxAttempts} never finished: its worker stopped before acknowledging it`
      await this.settle(msg, { task, attempts: attempt - 1, phase: PHASE.finished, status: 'dead', finishedAt: Date.now(), error }, () => ack(msg))
      metrics.outcome(task, 'dead', 0)
      return error
    }

    const startedAt = Date.now()
    store.writer.note({ task, attempts: attempt, phase: PHASE.running, status: 'running', startedAt, log: { [attempt]: { startedAt } } })
    if (attempt === 1) metrics.waited(task, startedAt - task.createdAt)
    running.onHandBack = async () => {
      // Shutdown: the attempt counts (it started); the task runs again elsewhere at once.
      await store.writer
        .write({ task, attempts: attempt, phase: PHASE.failed, status: 'failed', error: 'handed back: the worker shut down while it ran', log: { [attempt]: { startedAt, finishedAt: Date.now(), error: 'handed back: the worker shut down while it ran' } } })
        .catch(() => {})
      // Published again with this attempt counted, so that the next delivery is attempt + 1.
      await this.republish(msg, task, attempt)
    }

    const timeoutMs = definition?.timeoutMs ?? this.options.defaultTimeoutMs
    const timer = setTimeout(() => running.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
    let outcome: HandlerOutcome
    if (definition) {
      const context = new AttemptContext(task, attempt, maxAttempts, this.options.log, this.options.services)
      outcome = await runHandler(definition, task.payload, context, (abort) => (running.abort = abort))
    } else {
      outcome = { ok: false, err: new TaskRejectedError(`no handler for task type ${task.type} (known: ${registry.types().join(', ')})`) }
    }
    clearTimeout(timer)
    running.release()
    if (running.handedBack) return 'handed back: the worker shut down while it ran'
    const finishedAt = Date.now()
    const seconds = (finishedAt - startedAt) / 1000

    if (outcome.ok) {
      let result: string
      try {
        result = JSON.stringify(outcome.result ?? null)
        if (result.length > maxResultBytes) throw new TaskRejectedError(`the result is ${result.length} bytes of JSON; at most ${maxResultBytes} are kept`)
      } catch (err) {
        outcome = { ok: false, err: err instanceof TaskRejectedError ? err : new TaskRejectedError(`the result is not JSON: ${describe(err)}`) }
        result = ''
      }
      if (outcome.ok) {
        await this.settle(msg, { task, attempts: attempt, phase: PHASE.finished, status: 'succeeded', startedAt, finishedAt, result, log: { [attempt]: { startedAt, finishedAt } } }, () => ack(msg))
        metrics.outcome(task, 'succeeded', seconds)
        return undefined
      }
    }
    const error = describe(outcome.err)
    const retryable = definition !== undefined && !(outcome.err instanceof TaskRejectedError) && deliveryCount < maxAttempts
    const log = { [attempt]: { startedAt, finishedAt, error } }
    if (retryable) {
      const policy = { ...DEFAULT_BACKOFF, ...definition.backoff, ...task.backoff }
      const delay = retryDelayMs(deliveryCount, { baseMs: policy.baseMs, maxMs: Math.max(policy.baseMs, policy.maxMs) })
      await this.settle(msg, { task, attempts: attempt, phase: PHASE.failed, status: 'failed', startedAt, error, log }, () => nak(msg, delay))
      metrics.outcome(task, 'failed', seconds)
    } else {
      await this.settle(msg, { task, attempts: attempt, phase: PHASE.finished, status: 'dead', startedAt, finishedAt, error, log }, () => ack(msg))
      metrics.outcome(task, 'dead', seconds)
    }
    return error
  }

  /**
   * Writes the outcome, then acknowledges. If the outcome cannot be written the message is left
   * alone: it is redelivered after its ack wait and the task runs again.
   */
  private async settle(msg: Msg, change: Progress, acknowledge: () => void): Promise<void> {
    try {
      await this.options.store.writer.write(change)
    } catch (err) {
      this.options.log.warn({ task: change.task.id, err: { message: (err as Error).message } }, 'task outcome not recorded; the task will be redelivered')
      return
    }
    acknowledge()
  }

  /**
   * Gives back a message fetched but never started: published again with its attempt count
   * carried over (so the delivery that did not run is not counted), then acknowledged. Should
   * the publish fail, a plain NAK hands it back instead.
   */
  async handBack(msg: Msg): Promise<void> {
    let task: TaskMessage
    try {
      task = JSON.parse(decoder.decode(msg.data)) as TaskMessage
    } catch {
      nak(msg)
      return
    }
    await this.republish(msg, task, (task.offset ?? 0) + deliveryInfo(msg.reply).deliveryCount - 1)
  }

  /** Publishes the task again with `offset` attempts made, then acknowledges this delivery (or NAKs it if the publish fails). */
  private async republish(msg: Msg, task: TaskMessage, offset: number): Promise<void> {
    try {
      const { deliveryCount, streamSeq } = deliveryInfo(msg.reply)
      // The task stays in its enqueuer's trace.
      const span = startPublishSpan(msg.subject, { parent: messageContext(msg), messageId: task.id, attributes: { 'latchkey.task.type': task.type } })
      await span.endWith(this.options.publisher.publish(msg.subject, encodeTask({ ...task, offset }), `${task.id}:h${streamSeq}.${deliveryCount}`, span.inject()))
      ack(msg)
    } catch {
      nak(msg)
    }
  }
}
