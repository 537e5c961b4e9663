import type { Msg, NatsConnection } from '@nats-io/transport-node'
import type { Subjects } from '@latchkey/events'
import type { Log } from '@latchkey/logger'
import { PRIORITIES, type Priority, type QueueName } from '@latchkey/tasks-client'
import { deliveryInfo, LanePuller, working, type DeliveryInfo, type PullEnd } from './pull.ts'

export interface Lane {
  priority: Priority
  weight: number
  /** Smooth weighted round robin state. */
  current: number
  puller: LanePuller
  /** Fetched, not started. */
  buffer: HeldTask[]
  retryTimer: NodeJS.Timeout | undefined
}

/** What the runner asks of whoever runs a task. */
export interface TaskExecutor {
  /**
   * Runs the task of `running.msg`: calls `running.release()` when the handler is done (its slot
   * is free) and `running.finish()` once the outcome is written and the message acknowledged.
   * Never rejects.
   */
  execute(running: HeldTask): Promise<void>
  /** Gives back a message that was fetched but never started (at shutdown). */
  handBack(msg: Msg): Promise<void>
}

const noAbort = (): void => {}

/**
 * A task the runner holds, from its message's arrival (waiting in its lane's buffer) until its
 * outcome is acknowledged: to start it, free its slot, extend its lease and hand it back at
 * shutdown. One object a task and no closures: at thousands of tasks a second, what a task
 * allocates is what the garbage collector pays for.
 */
export class HeldTask {
  /** Aborts the attempt (its handler's signal fires); set by the executor once the handler runs. */
  abort: (reason: Error) => void = noAbort
  /** Set when the runner handed the task back (shutdown): its outcome must not be written. */
  handedBack = false
  /** Set by the executor once it knows what the attempt is (for the hand-back note). */
  onHandBack: (() => Promise<void>) | undefined
  private released = false

  constructor(
    readonly msg: Msg,
    /** Read once from the reply subject: which delivery of which stream message this is. */
    readonly delivery: DeliveryInfo,
    private readonly runner: QueueRunner,
  ) {}

  /** The handler is done: its slot takes the next task. */
  release(): void {
    if (this.released) return
    this.released = true
    this.runner.slotFreed(this)
  }

  /** The outcome is written and acknowledged (or the attempt ended otherwise). */
  finish(): void {
    this.release()
    this.runner.settled(this)
  }
}

export interface QueueRunnerOptions {
  queue: QueueName
  concurrency: number
  prefetch: number
  /** Weights of high, medium, low. */
  weights: [number, number, number]
  pullExpiresMs: number
  ackWaitMs: number
}

/**
 * One queue in one process: a pull consumer per lane, a small buffer per lane, and `concurrency`
 * slots. A free slot takes the next task by smooth weighted round robin over the lanes that have
 * one (weights 6:3:1 by default): with all three lanes busy, high gets 60 % of the starts, medium
 * 30 % and low 10 %, so low never starves; a lane alone gets every slot. Each lane keeps up to
 * `prefetch` messages fetched ahead (refilled at half), so slots never wait for a round trip
 * under load, while an idle lane has a pull request waiting on the server and starts a new task
 * within a round trip.
 */
export class QueueRunner {
  readonly lanes: Lane[]
  readonly running = new Set<HeldTask>()
  /** Stream sequences of the messages held (buffered, running or settling). */
  private readonly held = new Set<number>()
  /** Started tasks whose outcome is not written and acknowledged yet. */
  private settling = 0
  private stopping = false
  private handingBack = 0
  private leaseTimer: NodeJS.Timeout | undefined
  private readonly maxSettling: number
  private idleWaiters: (() => void)[] = []
  /** Starts per lane, for tests and the priority report. */
  readonly starts: Record<Priority, number> = { high: 0, medium: 0, low: 0 }

  constructor(
    private readonly options: QueueRunnerOptions,
    private readonly deps: { connection: NatsConnection; subjects: Subjects; executor: TaskExecutor; log: Log },
  ) {
    this.maxSettling = Math.max(2_048, options.concurrency * 16)
    this.lanes = PRIORITIES.map((priority, index) => {
      const lane: Lane = {
        priority,
        weight: options.weights[index]!,
        current: 0,
        buffer: [],
        retryTimer: undefined,
        puller: undefined as unknown as LanePuller,
      }
      const api = `$JS.API.CONSUMER.MSG.NEXT.${deps.subjects.taskStream}.${deps.subjects.taskConsumer(options.queue, priority)}`
      lane.puller = new LanePuller(
        deps.connection,
        api,
        options.pullExpiresMs,
        (msg) => this.onMessage(lane, msg),
        (end) => this.onPullEnd(lane, end),
      )
      return lane
    })
  }

  get queue(): QueueName {
    return this.options.queue
  }

  get buffered(): number {
    return this.lanes.reduce((sum, lane) => sum + lane.buffer.length, 0)
  }

  start(): void {
    // Held messages (buffered or running) keep their lease while they wait or run.
    this.leaseTimer = setInterval(() => this.extendLeases(), Math.max(250, Math.floor(this.options.ackWaitMs / 3)))
    this.leaseTimer.unref()
    for (const lane of this.lanes) this.refill(lane)
  }

  /** Withdraws the lanes' pull requests and asks again (after a reconnect). */
  pullAgain(): void {
    if (this.stopping) return
    for (const lane of this.lanes) void lane.puller.cancel()
  }

  /**
   * Stops pulling, hands back what was fetched but not started, lets running tasks finish until
   * `deadline`, then hands back (with the abort signal raised) whatever still runs.
   */
  async stop(deadline: number): Promise<void> {
    this.stopping = true
    for (const lane of this.lanes) clearTimeout(lane.retryTimer)
    // Withdraw the waiting pull requests (what they still deliver is handed back), then give back
    // what was fetched and not started.
    await Promise.all(this.lanes.map((lane) => lane.puller.cancel()))
    const handBacks: Promise<void>[] = []
    for (const lane of this.lanes) for (const task of lane.buffer.splice(0)) handBacks.push(this.deps.executor.handBack(task.msg))
    await Promise.all(handBacks)
    await this.waitUntil(() => this.running.size === 0 && this.settling === 0, deadline)
    if (this.running.size > 0) {
      this.deps.log.warn({ queue: this.queue, running: this.running.size }, 'grace period ending: handing running tasks back')
      await Promise.all([...this.running].map((task) => this.handBackRunning(task)))
    }
    await this.waitUntil(() => this.settling === 0 && this.handingBack === 0, Math.max(deadline, Date.now()) + 2_000)
    clearInterval(this.leaseTimer)
  }

  private async handBackRunning(task: HeldTask): Promise<void> {
    task.handedBack = true
    task.abort(new Error('the worker is shutting down'))
    await task.onHandBack?.().catch(() => {})
  }

  private waitUntil(condition: () => boolean, deadline: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (condition() || Date.now() >= deadline) {
          clearTimeout(timer)
          this.idleWaiters = this.idleWaiters.filter((w) => w !== check)
          resolve()
          return true
        }
        return false
      }
      const timer = setTimeout(() => check(), Math.max(0, deadline - Date.now()))
      if (!check()) this.idleWaiters.push(check)
    })
  }

  private notifyWaiters(): void {
    if (this.idleWaiters.length === 0) return
    for (const waiter of [...this.idleWaiters]) waiter()
  }

  private extendLeases(): void {
    for (const lane of this.lanes) for (const task of lane.buffer) working(task.msg)
    for (const task of this.running) if (!task.handedBack) working(task.msg)
  }

  private onMessage(lane: Lane, msg: Msg): void {
    const delivery = deliveryInfo(msg.reply)
    // A message held here, delivered again: its lease ran out on the server while NATS was
    // unreachable (the +WPI renewals and acknowledgements sent meanwhile are dropped by the client,
    // and the server does not take back a redelivery it has queued). The copy held here runs, or
    // has run, and its acknowledgement settles the message whichever delivery it names; running
    // this one too would run the task twice, and count an attempt that never happened.
    if (this.held.has(delivery.streamSeq)) return
    if (this.stopping) {
      this.handingBack++
      void this.deps.executor.handBack(msg).finally(() => {
        this.handingBack--
        this.notifyWaiters()
      })
      return
    }
    this.held.add(delivery.streamSeq)
    lane.buffer.push(new HeldTask(msg, delivery, this))
    this.dispatch()
  }

  private onPullEnd(lane: Lane, end: PullEnd): void {
    if (this.stopping) return this.notifyWaiters()
    // 408: expired, 404: nothing to deliver, 499: withdrawn (pullAgain).
    if (end.code !== 0 && end.code !== 408 && end.code !== 404 && end.code !== 499) {
      // The consumer is missing or refused the request: try again in a moment, not in a loop.
      this.deps.log.debug({ queue: this.queue, lane: lane.priority, code: end.code }, 'pull request refused; retrying shortly')
      lane.retryTimer = setTimeout(() => {
        lane.retryTimer = undefined
        this.refill(lane)
      }, 1_000)
      return
    }
    this.refill(lane)
  }

  /** Asks the lane for more when its buffer is at most half full and no request is outstanding. */
  private refill(lane: Lane): void {
    if (this.stopping || lane.puller.requesting || lane.retryTimer) return
    const space = this.options.prefetch - lane.buffer.length
    if (space < Math.max(1, Math.floor(this.options.prefetch / 2))) return
    lane.puller.pull(space)
  }

  /** The lane to start from: smooth weighted round robin over the lanes with a fetched task. */
  private pick(): Lane | undefined {
    let best: Lane | undefined
    let total = 0
    for (const lane of this.lanes) {
      if (lane.buffer.length === 0) continue
      lane.current += lane.weight
      total += lane.weight
      if (!best || lane.current > best.current) best = lane
    }
    if (best) best.current -= total
    return best
  }

  /** Called by a running task whose handler is done. */
  slotFreed(task: HeldTask): void {
    this.running.delete(task)
    this.dispatch()
    this.notifyWaiters()
  }

  /** Called by a running task once its outcome is written and acknowledged. */
  settled(task: HeldTask): void {
    this.held.delete(task.delivery.streamSeq)
    this.settling--
    this.dispatch()
    this.notifyWaiters()
  }

  private dispatch(): void {
    while (!this.stopping && this.running.size < this.options.concurrency && this.settling < this.maxSettling) {
      const lane = this.pick()
      if (!lane) break
      const task = lane.buffer.shift()!
      this.starts[lane.priority]++
      this.running.add(task)
      this.settling++
      void this.deps.executor.execute(task)
      this.refill(lane)
    }
  }
}
