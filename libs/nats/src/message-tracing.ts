import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type TextMapGetter } from '@opentelemetry/api'
import { headers as createHeaders, type MsgHdrs } from '@nats-io/transport-node'
import { tracingStarted } from '@latchkey/telemetry'

const tracer = trace.getTracer('@latchkey/nats')

const headerGetter: TextMapGetter<MsgHdrs> = {
  keys: (carrier) => carrier.keys(),
  get: (carrier, key) => (carrier.has(key) ? carrier.get(key) : undefined),
}

/**
 * A messaging span (OpenTelemetry messaging semantic conventions) around one publish or one
 * processed message. While tracing is off every function here answers the shared no-op below: no
 * span, no header, nothing allocated.
 */
export interface MessageSpan {
  /** Runs `work` with this span active, so that what it does (queries, publishes) are its children. */
  run<T>(work: () => T): T
  /**
   * Writes this span's W3C trace context (`traceparent`, `tracestate`) into `into` (new headers
   * when absent) and answers them; off: answers `into` as it is.
   */
  inject(into?: MsgHdrs): MsgHdrs | undefined
  /** Ends the span, as failed when `error` is given. */
  end(error?: unknown): void
  /** Ends the span when `outcome` settles (failed if it rejects); answers `outcome`. */
  endWith<T>(outcome: Promise<T>): Promise<T>
}

const noSpan: MessageSpan = {
  run: (work) => work(),
  inject: (into) => into,
  end: () => {},
  endWith: (outcome) => outcome,
}

class RecordingMessageSpan implements MessageSpan {
  private readonly context: Context

  constructor(
    private readonly span: Span,
    parent: Context,
  ) {
    this.context = trace.setSpan(parent, span)
  }

  run<T>(work: () => T): T {
    return context.with(this.context, work)
  }

  inject(into?: MsgHdrs): MsgHdrs {
    const carrier = into ?? createHeaders()
    propagation.inject(this.context, carrier, { set: (h, key, value) => h.set(key, value) })
    return carrier
  }

  end(error?: unknown): void {
    if (error !== undefined) {
      this.span.recordException(error instanceof Error ? error : String(error))
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) })
    }
    this.span.end()
  }

  endWith<T>(outcome: Promise<T>): Promise<T> {
    return outcome.then(
      (value) => {
        this.end()
        return value
      },
      (err: unknown) => {
        this.end(err)
        throw err
      },
    )
  }
}

export interface MessageSpanOptions {
  /**
   * The destination as a low-cardinality name for the span (`latchkey.changes.*` rather than a
   * subject per organization); the subject itself by default.
   */
  destination?: string
  messageId?: string
  /** Further attributes (`latchkey.*`). */
  attributes?: Attributes
}

function messagingAttributes(operation: 'publish' | 'process', subject: string, options: MessageSpanOptions): Attributes {
  return {
    'messaging.system': 'nats',
    'messaging.operation.type': operation === 'publish' ? 'send' : 'process',
    'messaging.operation.name': operation,
    'messaging.destination.name': subject,
    ...(options.destination !== undefined ? { 'messaging.destination.template': options.destination } : {}),
    ...(options.messageId !== undefined ? { 'messaging.message.id': options.messageId } : {}),
    ...options.attributes,
  }
}

/**
 * A producer span for one publish to `subject`: `publish <destination>`, a child of `parent`
 * (the active context by default; a stored trace context where the publish continues a trace
 * that began elsewhere). Its context goes into the message's headers with `inject`.
 */
export function startPublishSpan(subject: string, options: MessageSpanOptions & { parent?: Context } = {}): MessageSpan {
  if (!tracingStarted()) return noSpan
  const parent = options.parent ?? context.active()
  const span = tracer.startSpan(`publish ${options.destination ?? subject}`, { kind: SpanKind.PRODUCER, attributes: messagingAttributes('publish', subject, options) }, parent)
  return new RecordingMessageSpan(span, parent)
}

/** The trace context a received message carries in its headers (the root context when none, or while tracing is off). */
export function messageContext(message: { headers?: MsgHdrs | undefined }): Context {
  return message.headers && tracingStarted() ? propagation.extract(ROOT_CONTEXT, message.headers, headerGetter) : ROOT_CONTEXT
}

/**
 * A consumer span for processing one received message: `process <destination>`, a child of the
 * trace context the message carries in its headers (a root span when it carries none).
 */
export function startProcessSpan(message: { subject: string; headers?: MsgHdrs | undefined }, options: MessageSpanOptions & { consumerGroup?: string } = {}): MessageSpan {
  if (!tracingStarted()) return noSpan
  const parent = messageContext(message)
  const attributes = messagingAttributes('process', message.subject, options)
  if (options.consumerGroup !== undefined) attributes['messaging.consumer.group.name'] = options.consumerGroup
  const span = tracer.startSpan(`process ${options.destination ?? message.subject}`, { kind: SpanKind.CONSUMER, attributes }, parent)
  return new RecordingMessageSpan(span, parent)
}
