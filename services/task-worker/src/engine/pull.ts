import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node'

// The JetStream pull protocol, used directly: a worker must control exactly how many messages it
// asks each lane for (so that it holds only what it can run soon), which the client library's
// fetch/consume helpers do not let it do cheaply.

const encoder = new TextEncoder()
const ACK = encoder.encode('+ACK')
const NAK = encoder.encode('-NAK')
const WPI = encoder.encode('+WPI')

export interface DeliveryInfo {
  /** How many times the message was delivered (1 the first time). */
  deliveryCount: number
  streamSeq: number
}

/** Reads the delivery count and stream sequence from a JetStream message's reply subject. */
export function deliveryInfo(reply: string | undefined): DeliveryInfo {
  const tokens = (reply ?? '').split('.')
  // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending> (9 tokens) or, newer,
  // $JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<dseq>.<ts>.<pending>[.<random>]
  const offset = tokens.length === 9 ? 4 : 6
  if (tokens[0] !== '$JS' || tokens[1] !== 'ACK' || tokens.length < 9) throw new Error('not a JetStream message')
  return { deliveryCount: Number(tokens[offset]), streamSeq: Number(tokens[offset + 1]) }
}

export const ack = (msg: Msg): boolean => msg.respond(ACK)
/** Extends the message's acknowledgement deadline by the consumer's ack wait. */
export const working = (msg: Msg): boolean => msg.respond(WPI)
/** Hands the message back, to be redelivered after `delayMs` (at once without a delay). */
export const nak = (msg: Msg, delayMs?: number): boolean =>
  msg.respond(delayMs && delayMs > 0 ? encoder.encode(`-NAK {"delay":${Math.round(delayMs) * 1_000_000}}`) : NAK)

export interface PullEnd {
  /** Messages received for the request. */
  received: number
  /** Status code that ended it (408 expired, 409 conflict, 503 no responders, 499 withdrawn), or 0 when filled. */
  code: number
}

/**
 * One lane's pull requests: at most one outstanding at a time, each on an inbox of its own, so
 * that what it still owes is known exactly. A request waits on the server (up to `expiresMs`)
 * for messages, which are handed over as they arrive: an idle lane thus picks up a new task
 * within a network round trip.
 *
 * A request the server no longer serves must not go unnoticed: until the next one is made, the
 * lane takes nothing. So each request asks for idle heartbeats (a status 100 every quarter of
 * its lifetime while nothing else comes), and one that shows no sign of life for two heartbeats,
 * or outlives its expiry by one without the server's 408, is given up and made again. (A
 * one-process benchmark once saw starts held back by up to 2 s: requests that had gone silent
 * waited out a 2 s safety margin; see the README's task benchmark.)
 */
interface PullRequest {
  sub: Subscription
  remaining: number
  received: number
  /** Messages and status messages seen; the watchdog compares it between its ticks. */
  activity: number
  lastActivity: number
  quietTicks: number
  deadline: number
  watchdog: NodeJS.Timeout
}

export class LanePuller {
  private active: PullRequest | undefined
  private readonly heartbeatMs: number

  constructor(
    private readonly connection: NatsConnection,
    private readonly api: string,
    private readonly expiresMs: number,
    private readonly onMessage: (msg: Msg) => void,
    private readonly onEnd: (end: PullEnd) => void,
  ) {
    this.heartbeatMs = Math.max(50, Math.floor(expiresMs / 4))
  }

  get requesting(): boolean {
    return this.active !== undefined
  }

  /** Messages asked for and not yet received. */
  get owed(): number {
    return this.active?.remaining ?? 0
  }

  pull(batch: number): void {
    if (this.active || batch <= 0 || this.connection.isClosed()) return
    const inbox = createInbox()
    const request: PullRequest = {
      remaining: batch,
      received: 0,
      activity: 0,
      lastActivity: 0,
      quietTicks: 0,
      deadline: Date.now() + this.expiresMs + this.heartbeatMs,
      sub: undefined as unknown as Subscription,
      watchdog: setInterval(() => this.watch(request), this.heartbeatMs),
    }
    request.sub = this.connection.subscribe(inbox, {
      callback: (err, msg) => {
        if (err) return this.end(request, 500)
        request.activity++
        if (msg.subject === inbox) {
          // A status message: 100 is a heartbeat; anything else ends the request.
          const code = msg.headers?.code ?? 0
          if (code !== 100) this.end(request, code || 500)
          return
        }
        request.received++
        request.remaining--
        this.onMessage(msg)
        if (request.remaining <= 0) this.end(request, 0)
      },
    })
    this.active = request
    try {
      this.connection.publish(this.api, encoder.encode(JSON.stringify({ batch, expires: this.expiresMs * 1_000_000, idle_heartbeat: this.heartbeatMs * 1_000_000 })), { reply: inbox })
    } catch {
      this.end(request, 503)
    }
  }

  /**
   * Gives up a request that went silent (no heartbeat) or outlived its expiry unannounced. Its
   * inbox is drained, not dropped: should the server still serve it after all, what it sent
   * before it saw the UNSUB is still handed over, and nothing is left waiting for a redelivery.
   */
  private watch(request: PullRequest): void {
    if (request.activity !== request.lastActivity) {
      request.lastActivity = request.activity
      request.quietTicks = 0
      if (Date.now() <= request.deadline) return
    } else if (++request.quietTicks < 2 && Date.now() <= request.deadline) {
      return
    }
    void request.sub.drain().catch(() => {})
    this.end(request, 408)
  }

  /**
   * Withdraws the outstanding request: the server drops a waiting pull request once its inbox
   * has no subscriber, and draining the subscription (UNSUB, then a round trip) still hands over
   * whatever the server sent before it saw the UNSUB, so no message is lost on the way.
   */
  async cancel(): Promise<void> {
    const request = this.active
    if (!request) return
    await request.sub.drain().catch(() => {})
    this.end(request, 499)
  }

  private end(request: PullRequest, code: number): void {
    if (this.active !== request) return
    this.active = undefined
    clearInterval(request.watchdog)
    if (!request.sub.isDraining()) request.sub.unsubscribe()
    this.onEnd({ received: request.received, code })
  }
}
