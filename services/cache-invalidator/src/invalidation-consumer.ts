import { AckPolicy, DeliverPolicy, jetstream, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream'
import type { TieredCache } from '@latchkey/cache'
import { decodeJson, encodeJson, ensureChangeStream, type ChangeEvent, type L1InvalidationMessage, type Subjects } from '@latchkey/events'
import type { Log } from '@latchkey/logger'
import { startProcessSpan, startPublishSpan, type NatsConnection } from '@latchkey/nats'
import type { Counter, Histogram, Meter } from '@latchkey/telemetry'

export const CONSUMER_NAME = 'cache-invalidator'
const maxBatch = 256
const retryDelayMs = 1_000

export interface InvalidationConsumerOptions {
  connection: NatsConnection
  subjects: Subjects
  cache: TieredCache
  log: Log
  meter: Meter
}

/**
 * Reads change events from the durable consumer that every invalidator replica shares, and for
 * each batch: applies the invalidations to Redis (pipelined, in batches sized for large
 * organizations), fans them out to every process's L1 (core NATS), then acknowledges. When Redis fails the
 * batch is handed back with a delay, so the events wait in JetStream until Redis returns.
 * Invalidations may be applied more than once and in any order: the cache's marks make that safe.
 */
export class InvalidationConsumer {
  private messages: ConsumerMessages | undefined
  private running: Promise<void> | undefined
  private stopped = false
  private readonly applied: Counter
  private readonly entries: Counter
  private readonly applyDelay: Histogram
  private readonly failures: Counter
  readonly totals = { events: 0, entries: 0, partitions: 0, failures: 0 }
  /** The latest commit-to-Redis delays (ms), for the percentiles `/v1/cache/stats` shows. */
  readonly recentDelaysMs: number[] = []

  constructor(private readonly options: InvalidationConsumerOptions) {
    const { meter } = options
    this.applied = meter.createCounter('latchkey_cache_invalidations', { description: 'Invalidations applied to Redis, by cause (the change event type)' })
    this.entries = meter.createCounter('latchkey_cache_invalidated_entries', { description: 'Cache entries dropped by invalidations (a whole organization counts as one)' })
    this.failures = meter.createCounter('latchkey_cache_invalidation_failures', { description: 'Batches handed back because Redis failed' })
    this.applyDelay = meter.createHistogram('latchkey_cache_invalidation_apply_seconds', {
      unit: 's',
      description: "Time from a write's commit to its invalidation applied in Redis by the invalidator",
      advice: { explicitBucketBoundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30] },
    })
  }

  async start(): Promise<void> {
    const { connection, subjects } = this.options
    const manager = await ensureChangeStream(connection, subjects)
    const config = {
      durable_name: CONSUMER_NAME,
      filter_subject: subjects.allChanges,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ack_wait: 30_000_000_000,
      max_ack_pending: 10_000,
    }
    await manager.consumers.add(subjects.changeStream, config).catch(async (err: Error) => {
      // Already there (another replica made it): keep it as it is, with its position.
      if (!/consumer already exists|consumer name already in use/i.test(err.message)) throw err
    })
    const consumer = await jetstream(connection).consumers.get(subjects.changeStream, CONSUMER_NAME)
    this.messages = await consumer.consume({ max_messages: 1_024 })
    this.running = this.run(this.messages)
  }

  async stop(): Promise<void> {
    this.stopped = true
    await this.messages?.close()
    await this.running
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    let batch: JsMsg[] = []
    let flushScheduled: Promise<void> | undefined
    for await (const message of messages) {
      batch.push(message)
      // Whatever arrived together is applied together: one fan-out message, one Redis round per
      // partition, one acknowledgement pass.
      if (batch.length >= maxBatch || messages.getPending() === 0) {
        const current = batch
        batch = []
        await flushScheduled
        flushScheduled = this.apply(current)
      }
      if (this.stopped) break
    }
    await flushScheduled
    if (batch.length > 0) await this.apply(batch)
  }

  private async apply(batch: JsMsg[]): Promise<void> {
    const { cache, subjects } = this.options
    const events = batch.map((m) => decodeJson<ChangeEvent>(m.data))
    // A span per event, continuing the trace of the write that made it; its Redis work and its
    // fan-out run inside it.
    const spans = batch.map((message, i) =>
      startProcessSpan(message, { destination: subjects.allChanges, consumerGroup: CONSUMER_NAME, messageId: events[i]!.id, attributes: { 'latchkey.event.type': events[i]!.type } }),
    )
    // Redis first, so that the replicas warming what the fan-out drops never read a stale L2 copy.
    const redisFailure = await Promise.all(
      events.map((event, i) => spans[i]!.run(() => Promise.all(event.invalidations.map((invalidation) => cache.invalidateShared(invalidation))))),
    ).then(
      () => undefined,
      (err: Error) => err,
    )
    // The fan-out goes out even when Redis failed: every L1 stays consistent meanwhile.
    let fanOutFailure: Error | undefined
    try {
      // One message per event (each fits: the relay keeps events under NATS's limit), in order.
      for (const [i, event] of events.entries()) {
        if (event.invalidations.length > 0) spans[i]!.run(() => this.fanOut(event))
      }
    } catch (err) {
      fanOutFailure = err as Error
    }
    const failure = redisFailure ?? fanOutFailure
    if (failure) {
      this.failures.add(1)
      this.totals.failures++
      this.options.log.warn({ err: { message: failure.message }, events: batch.length }, 'invalidation batch failed; the events wait in JetStream')
      for (const message of batch) message.nak(retryDelayMs)
      for (const span of spans) span.end(failure)
      return
    }
    const now = Date.now()
    for (const [i, event] of events.entries()) {
      this.applied.add(1, { cause: event.type })
      const delayMs = Math.max(0, now - Date.parse(event.committedAt))
      this.applyDelay.record(delayMs / 1000)
      this.recentDelaysMs.push(delayMs)
      if (this.recentDelaysMs.length > 1_000) this.recentDelaysMs.shift()
      for (const invalidation of event.invalidations) {
        const count = invalidation.entries === 'all' ? 1 : invalidation.entries.length
        this.entries.add(count, { cause: event.type })
        this.totals.entries += count
      }
      this.totals.partitions += event.invalidations.length
      batch[i]!.ack()
      spans[i]!.end()
    }
    this.totals.events += events.length
  }

  /** Tells every process holding an L1 to drop what `event` made stale, in the event's trace. */
  private fanOut(event: ChangeEvent): void {
    const { connection, subjects } = this.options
    const message: L1InvalidationMessage = { invalidations: event.invalidations, committedAt: [Date.parse(event.committedAt)] }
    const span = startPublishSpan(subjects.l1Invalidations, { messageId: event.id })
    try {
      connection.publish(subjects.l1Invalidations, encodeJson(message), { headers: span.inject() })
      span.end()
    } catch (err) {
      span.end(err)
      throw err
    }
  }
}
