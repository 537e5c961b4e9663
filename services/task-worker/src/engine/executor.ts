import type { Msg } from '@nats-io/transport-node'
import type { Subjects } from '@latchkey/events'
import type { Database } from '@latchkey/db'
import type { Log } from '@latchkey/logger'
import { encodeTask, PHASE, type Progress, type TaskMessage, type TaskPublisher, type TaskStore } from '@latchkey/tasks-client'
import { DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS, TaskRejectedError, type TaskRegistry } from '../registry.ts'
import { retryDelayMs } from './backoff.ts'
import type { TaskMetrics } from './metrics.ts'
import { ack, deliveryInfo, nak } from './pull.ts'
import type { RunningTask, TaskExecutor } from './queue-runner.ts'

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
  db: Database
  /** Ids of cancelled tasks (kept by the cancellation watcher). */
  cancelled: { has(id: string): boolean }
  defaultTimeoutMs: number
}

/**
 * Runs one delivery of a task: decides which attempt it is, records the start, runs the handler
 * (with a timeout and an abort signal), records the outcome, and only then acknowledges the
 * message (succeeded or dead) or hands it back with a delay for its retry (delayed NAK).
 */
export class Executor implements TaskExecutor {
  constructor(private readonly options: ExecutorOptions) {}

  async execute(msg: Msg, release: () => void, running: RunningTask): Promise<void> {
    const { store, registry, metrics } = this.options
    let task: TaskMessage
    try {
      task = JSON.parse(decoder.decode(msg.data)) as TaskMessage
      if (typeof task?.id !== 'string' || typeof task.type !== 'string') throw new Error('not a task')
    } catch (err) {
      // Nothing can ever run it: drop it (acknowledged), loudly.
      this.options.log.error({ subject: msg.subject, err: { message: (err as Error).message } }, 'undecodable task message dropped')
      ack(msg)
      release()
      return
    }
    if (this.options.cancelled.has(task.id)) {
      ack(msg)
      release()
      metrics.outcome(task, 'cancelled', 0)
      return
    }
    const { deliveryCount } = deliveryInfo(msg.reply)
    const definition = registry.get(task.type)
    const maxAttempts = task.maxAttempts ?? definition?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS
    const attempt = (task.offset ?? 0) + deliveryCount

    if (deliveryCount > maxAttempts) {
      // The last attempt started but never reported: its worker died (or hung past its lease).
      release()
      const error = `attempt ${attempt - 1} of ${maxAttempts} never finished: its worker stopped before acknowledging it`
      await this.settle(msg, { task, attempts: attempt - 1, phase: PHASE.finished, status: 'dead', finishedAt: Date.now(), error }, () => ack(msg))
      metrics.outcome(task, 'dead', 0)
      return
    }

    const startedAt = Date.now()
    void store.writer.write({ task, attempts: attempt, phase: PHASE.running, status: 'running', startedAt, log: { [attempt]: { startedAt } } }).catch(() => {})
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
    // The abort signal is made only if the handler asks for it (most never do; it costs).
    let controller: AbortController | undefined
    let abortReason: Error | undefined
    let stop: (reason: Error) => void = () => {}
    const stopped = new Promise<never>((_, reject) => (stop = reject))
    stopped.catch(() => {})
    running.abort = (reason) => {
      abortReason ??= reason
      controller?.abort(reason)
      stop(reason)
    }
    const timer = setTimeout(() => running.abort(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs)
    let outcome: { ok: true; result: unknown } | { ok: false; err: unknown }
    try {
      if (!definition) throw new TaskRejectedError(`no handler for task type ${task.type} (known: ${registry.types().join(', ')})`)
      const log = this.options.log
      const context = {
        id: task.id,
        queue: task.queue,
        type: task.type,
        priority: task.priority,
        attempt,
        maxAttempts,
        log,
        db: this.options.db,
        get signal(): AbortSignal {
          if (!controller) {
            controller = new AbortController()
            if (abortReason) controller.abort(abortReason)
          }
          return controller.signal
        },
      }
      const work = Promise.resolve().then(() => definition.handle(task.payload, context))
      work.catch(() => {})
      outcome = { ok: true, result: await Promise.race([work, stopped]) }
    } catch (err) {
      outcome = { ok: false, err: abortReason ?? err }
    } finally {
      clearTimeout(timer)
      release()
    }
    if (running.handedBack) return
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
        return
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
      await this.options.publisher.publish(msg.subject, encodeTask({ ...task, offset }), `${task.id}:h${streamSeq}.${deliveryCount}`)
      ack(msg)
    } catch {
      nak(msg)
    }
  }
}
