import type { FastifyRequest } from 'fastify'
import type { RequestMeta } from '../context.ts'

/** The request facts a write records: its W3C trace context, stored with the outbox event. */
export function requestMeta(request: FastifyRequest): RequestMeta {
  const traceContext: Record<string, string> = {}
  const { traceparent, tracestate } = request.headers
  if (typeof traceparent === 'string') traceContext.traceparent = traceparent
  if (typeof tracestate === 'string') traceContext.tracestate = tracestate
  return { traceContext }
}
