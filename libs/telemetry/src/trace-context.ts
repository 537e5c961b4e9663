import { context, propagation, ROOT_CONTEXT, type Context } from '@opentelemetry/api'
import { tracingStarted } from './tracing.ts'

/**
 * The active span's W3C trace context (`traceparent`, `tracestate`) as plain strings, for a hop
 * that is not a message header (a database row that another process picks up later). Empty while
 * tracing is off.
 */
export function activeTraceContext(): Record<string, string> {
  const carrier: Record<string, string> = {}
  if (tracingStarted()) propagation.inject(context.active(), carrier)
  return carrier
}

/** The context that a stored W3C trace context continues (the root context when there is none). */
export function traceContextFrom(carrier: Record<string, string> | null | undefined): Context {
  if (!carrier || !tracingStarted()) return ROOT_CONTEXT
  return propagation.extract(ROOT_CONTEXT, carrier)
}
