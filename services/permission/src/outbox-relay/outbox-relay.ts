import { jetstream, type JetStreamClient } from '@nats-io/jetstream'
import { headers, type NatsConnection } from '@nats-io/transport-node'
import { traceContextFrom, type Histogram, type Meter } from '@latchkey/telemetry'
import { encodeJson, ensureChangeStream, OUTBOX_CHANNEL, type ChangeEvent, type Subjects } from '@latchkey/events'
import type { Log } from '@latchkey/logger'
import { startPublishSpan } from '@latchkey/nats'
import pg from 'pg'

// One relay per database publishes at a time (per-organization order needs a single publisher);
// the others wait on this session lock and take over when its holder dies.
const RELAY_LOCK_KEY = '7021666926410555001'
const batchSize = 500
const pollMs = 1_000
const retentionMs = 24 * 3_600_000

interface OutboxRow {
  id: string
  event_id: string
  org_id: string | null
  org_seq: string | null
  type: string
  payload: Record<string, unknown> & { invalidations?: ChangeEvent['invalidations'] }
  trace_context: Record<string, string>
  created_at: Date
}

export interface OutboxRelayOptions {
  databaseUrl: string
  connection: NatsConnection
  subjects: Subjects
  log: Log
  meter: Meter
}

/**
 * Publishes the outbox to the change stream, in commit order per organization, never losing or
 * duplicating an event: a row is marked published only after JetStream acknowledged it, and a
 * retried publish carries the event id as `Nats-Msg-Id`, which JetStream deduplicates. While NATS
 * is down rows simply wait; they go out, in order, when it returns.
 */
export class OutboxRelay {
  private client: pg.Client | undefined
  private stopped = false
  private wake: () => void = () => {}
  /** Set by a notification; checked before sleeping, so one arriving mid-batch is not lost. */
  private notified = false
  private running: Promise<void> | undefined
  private readonly js: JetStreamClient
  private readonly publishDelay: Histogram
  private leader = false
  /** While NATS is away, publishing would only wait for time-outs; its return wakes the relay. */
  private natsDown = false

  constructor(private readonly options: OutboxRelayOptions) {
    this.js = jetstream(options.connection)
    this.publishDelay = options.meter.createHistogram('latchkey_outbox_publish_delay_seconds', {
      unit: 's',
      description: 'Time from a change committing to its event being stored in JetStream',
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30] },
    })
    options.meter.createObservableGauge('latchkey_outbox_relay_leader', { description: '1 on the process whose relay publishes now' }).addCallback((result) => result.observe(this.leader ? 1 : 0))
  }

  start(): void {
    void this.watchNats()
    this.running = this.run()
  }

  private async watchNats(): Promise<void> {
    for await (const status of this.options.connection.status()) {
      if (this.stopped) break
      if (status.type === 'disconnect') this.natsDown = true
      else if (status.type === 'reconnect') {
        this.natsDown = false
        this.notified = true
        this.wake()
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.wake()
    await this.running
  }

  get isLeader(): boolean {
    return this.leader
  }

  private async run(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.lead()
        attempt = 0
      } catch (err) {
        if (this.stopped) break
        this.options.log.warn({ err: { message: (err as Error).message } }, 'outbox relay interrupted; retrying')
        await this.sleep(Math.min(200 * 2 ** attempt, 5_000))
      } finally {
        this.leader = false
        const client = this.client
        this.client = undefined
        await client?.end().catch(() => {})
      }
    }
  }

  /** Becomes the publisher (waiting for the lock), then publishes until stopped or broken. */
  private async lead(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.databaseUrl })
    this.client = client
    client.on('error', () => this.wake())
    client.on('notification', () => {
      this.notified = true
      this.wake()
    })
    await client.connect()
    while (!this.stopped) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS locked', [RELAY_LOCK_KEY])
      if (rows[0]!.locked) break
      await this.sleep(pollMs)
    }
    if (this.stopped) return
    this.leader = true
    await ensureChangeStream(this.options.connection, this.options.subjects)
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`)
    let lastCleanup = 0
    while (!this.stopped) {
      const published = await this.publishBatch(client)
      if (Date.now() - lastCleanup > 600_000) {
        lastCleanup = Date.now()
        await client.query(`DELETE FROM outbox_events WHERE published_at < now() - make_interval(secs => $1)`, [retentionMs / 1000])
      }
      if (published < batchSize) await this.sleep(pollMs)
    }
  }

  private async publishBatch(client: pg.Client): Promise<number> {
    this.notified = false
    if (this.natsDown) return 0
    const { rows } = await client.query<OutboxRow>(
      `SELECT id, event_id, org_id, org_seq, type, payload, trace_context, created_at
       FROM outbox_events WHERE published_at IS NULL ORDER BY id LIMIT $1`,
      [batchSize],
    )
    if (rows.length === 0) return 0
    // Sent in order on one connection, so JetStream stores them in order. The rows acknowledged
    // before the first failure are marked published; the rest are retried (deduplicated by id).
    const outcomes = await Promise.allSettled(rows.map((row) => this.publish(row)))
    const failedAt = outcomes.findIndex((outcome) => outcome.status === 'rejected')
    const published = failedAt === -1 ? rows : rows.slice(0, failedAt)
    if (published.length > 0) {
      await client.query('UPDATE outbox_events SET published_at = now() WHERE id = ANY($1::bigint[])', [published.map((r) => r.id)])
      const now = Date.now()
      for (const row of published) this.publishDelay.record((now - row.created_at.getTime()) / 1000)
    }
    if (failedAt !== -1) throw (outcomes[failedAt] as PromiseRejectedResult).reason
    return published.length
  }

  private publish(row: OutboxRow) {
    const { invalidations = [], ...payload } = row.payload
    const event: ChangeEvent = {
      id: row.event_id,
      sequence: row.id,
      type: row.type,
      orgId: row.org_id,
      revision: row.org_seq,
      committedAt: row.created_at.toISOString(),
      payload,
      invalidations,
    }
    const subject = this.options.subjects.change(row.org_id)
    // The event continues the trace of the write that made it (its context was stored with the
    // row), whichever replica relays it. Tracing off: the stored headers travel as they are.
    const span = startPublishSpan(subject, {
      parent: traceContextFrom(row.trace_context),
      destination: this.options.subjects.allChanges,
      messageId: row.event_id,
      attributes: { 'latchkey.event.type': row.type },
    })
    const h = headers()
    for (const [name, value] of Object.entries(row.trace_context)) h.set(name, value)
    return span.endWith(this.js.publish(subject, this.encodeWithinLimit(event), { msgID: row.event_id, headers: span.inject(h), timeout: 5_000 }))
  }

  /**
   * A change reaching very many users (tens of thousands of keys) would exceed NATS's largest
   * message and block every event behind it: such an event asks for whole-organization
   * invalidations instead, which over-invalidates but stays correct.
   */
  private encodeWithinLimit(event: ChangeEvent): Uint8Array {
    const encoded = encodeJson(event)
    const limit = (this.options.connection.info?.max_payload ?? 1_048_576) - 64 * 1024
    if (encoded.length <= limit) return encoded
    this.options.log.warn({ event: event.id, bytes: encoded.length }, 'change event too large for NATS: its organization is invalidated whole')
    return encodeJson({ ...event, invalidations: event.invalidations.map((invalidation) => ({ ...invalidation, entries: 'all' as const })) })
  }

  private sleep(ms: number): Promise<void> {
    if (this.notified || this.stopped) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }
}
