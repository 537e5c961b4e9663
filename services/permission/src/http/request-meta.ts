import type { FastifyRequest } from 'fastify'
import { activeTraceContext } from '@latchkey/telemetry'
import type { RequestMeta } from '../context.ts'

/**
 * The request facts a write records: its W3C trace context, stored with the outbox event. With
 * tracing on it is the context of the request's own span, so that the change event continues
 * this trace; off, the caller's `traceparent`/`tracestate` headers are passed on as they came.
 */
export function requestMeta(request: FastifyRequest): RequestMeta {
  const active = activeTraceContext()
  if (active.traceparent !== undefined) return { traceContext: active }
  const traceContext: Record<string, string> = {}
  const { traceparent, tracestate } = request.headers
  if (typeof traceparent === 'string') traceContext.traceparent = traceparent
  if (typeof tracestate === 'string') traceContext.tracestate = tracestate
  return { traceContext }
}
