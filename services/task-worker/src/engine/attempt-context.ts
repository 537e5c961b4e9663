import type { Log } from '@latchkey/logger'
import type { Priority, QueueName, TaskMessage } from '@latchkey/tasks-client'
import type { TaskContext, TaskDefinition } from '../registry.ts'
import type { TaskServices } from '../task-services.ts'

export type HandlerOutcome = { ok: true; result: unknown } | { ok: false; err: unknown }

/**
 * What a handler is given for one attempt. A class, not an object literal with a getter: at
 * thousands of tasks a second each literal's accessor made a fresh closure and a slow object.
 * The abort signal is made only if the handler asks for it (most never do).
 */
export class AttemptContext implements TaskContext {
  readonly id: string
  readonly queue: QueueName
  readonly type: string
  readonly priority: Priority
  private controller: AbortController | undefined
  private abortReason: Error | undefined

  constructor(
    task: TaskMessage,
    readonly attempt: number,
    readonly maxAttempts: number,
    readonly log: Log,
    readonly services: TaskServices,
  ) {
    this.id = task.id
    this.queue = task.queue
    this.type = task.type
    this.priority = task.priority
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.abortReason) this.controller.abort(this.abortReason)
    }
    return this.controller.signal
  }

  /** Raises the signal (the first reason stays). */
  abort(reason: Error): void {
    this.abortReason ??= reason
    this.controller?.abort(reason)
  }
}

/**
 * Runs the handler and settles with its outcome, or with the abort reason as soon as `onAbort`'s
 * callback is called (a timeout, a hand-back), whichever comes first: a handler that ignores its
 * signal cannot hold the slot. Never rejects.
 */
export function runHandler(
  definition: TaskDefinition,
  payload: unknown,
  context: AttemptContext,
  onAbort: (abort: (reason: Error) => void) => void,
): Promise<HandlerOutcome> {
  return new Promise<HandlerOutcome>((settle) => {
    onAbort((reason) => {
      context.abort(reason)
      settle({ ok: false, err: reason })
    })
    let work: unknown
    try {
      work = definition.handle(payload, context)
    } catch (err) {
      settle({ ok: false, err })
      return
    }
    Promise.resolve(work).then(
      (result) => settle({ ok: true, result }),
      (err) => settle({ ok: false, err }),
    )
  })
}
