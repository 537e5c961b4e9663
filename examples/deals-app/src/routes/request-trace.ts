import type { FastifyRequest } from 'fastify'
import type { TraceContext } from '../commands/context.ts'

/** The request's W3C trace context, recorded with the change event a write makes. */
export function requestTrace(request: FastifyRequest): TraceContext {
  const trace: TraceContext = {}
  const { traceparent, tracestate } = request.headers
  if (typeof traceparent === 'string') trace.traceparent = traceparent
  if (typeof tracestate === 'string') trace.tracestate = tracestate
  return trace
}
