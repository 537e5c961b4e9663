import { createInbox, headers, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node'

const decoder = new TextDecoder()

/**
 * Publishes to JetStream with many publications in flight on one reply inbox: each message is a
 * plain publish whose reply subject carries a token, and one wildcard subscription matches the
 * stream's acknowledgements to their promises. JetStream's own client makes a request (promise,
 * timer, reply mapping) per message, which costs five times more per task at bulk rates.
 * A publication settles when JetStream stored it (or refused it, or did not answer in time).
 * While the connection is down it fails at once: the client would buffer the message and drop
 * it when it dials again, so the caller would wait for the timeout and could not retry sooner.
 */
export class TaskPublisher {
  private readonly inbox = createInbox()
  private sub: Subscription | undefined
  private sequence = 0
  private readonly pending = new Map<string, { resolve: () => void; reject: (err: Error) => void; at: number }>()
  private sweeper: NodeJS.Timeout | undefined
  private connected = true
  private closed = false

  constructor(
    private readonly connection: NatsConnection,
    private readonly timeoutMs = 5_000,
  ) {
    void this.watchConnection()
  }

  /** `traceHeaders`: the publish span's W3C trace context (absent while tracing is off). */
  publish(subject: string, data: Uint8Array, msgId?: string, traceHeaders?: MsgHdrs): Promise<void> {
    if (!this.connected) return Promise.reject(new Error('NATS is unreachable; reconnecting'))
    this.start()
    const token = (++this.sequence).toString(36)
    let h = traceHeaders
    if (msgId !== undefined) {
      h ??= headers()
      h.set('Nats-Msg-Id', msgId)
    }
    return new Promise<void>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, at: Date.now() })
      try {
        this.connection.publish(subject, data, h ? { reply: `${this.inbox}.${token}`, headers: h } : { reply: `${this.inbox}.${token}` })
      } catch (err) {
        this.pending.delete(token)
        reject(err as Error)
      }
    })
  }

  close(): void {
    this.closed = true
    this.sub?.unsubscribe()
    this.sub = undefined
    clearInterval(this.sweeper)
    for (const [token, waiter] of this.pending) {
      this.pending.delete(token)
      waiter.reject(new Error('publisher closed'))
    }
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (this.closed) break
      if (status.type === 'disconnect') this.connected = false
      else if (status.type === 'reconnect') this.connected = true
    }
  }

  private start(): void {
    if (this.sub) return
    this.sub = this.connection.subscribe(`${this.inbox}.*`, {
      callback: (err, msg) => {
        if (err) return
        const token = msg.subject.slice(this.inbox.length + 1)
        const waiter = this.pending.get(token)
        if (!waiter) return
        this.pending.delete(token)
        if (msg.data.length === 0) {
          const code = msg.headers?.code ?? 0
          waiter.reject(new Error(code === 503 ? 'no JetStream stream answers on this subject' : `JetStream status ${code}`))
          return
        }
        try {
          const answer = JSON.parse(decoder.decode(msg.data)) as { error?: { description?: string; code?: number } }
          if (answer.error) waiter.reject(new Error(answer.error.description ?? `JetStream error ${answer.error.code}`))
          else waiter.resolve()
        } catch (parseErr) {
          waiter.reject(parseErr as Error)
        }
      },
    })
    this.sweeper = setInterval(() => {
      const expired = Date.now() - this.timeoutMs
      for (const [token, waiter] of this.pending) {
        if (waiter.at > expired) continue
        this.pending.delete(token)
        waiter.reject(new Error(`JetStream did not acknowledge within ${this.timeoutMs} ms`))
      }
    }, 500)
    this.sweeper.unref()
  }
}
