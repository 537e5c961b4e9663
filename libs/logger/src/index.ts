import { context, isSpanContextValid, trace } from '@opentelemetry/api'
import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/**
 * The active span's ids, so that a log line can be found from its trace and the other way round.
 * A fresh object each time: pino merges the line's own fields into it.
 */
function traceIds(): object {
  const span = trace.getSpanContext(context.active())
  return span && isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {}
}

/**
 * The one logger factory: JSON lines on stdout (what Kubernetes collects), the level from
 * LOG_LEVEL, secrets in URLs and headers redacted. With `traceIds` (tracing is on) each line
 * carries the `trace_id` and `span_id` of the span it was written in; without, nothing is looked up.
 */
export function createLogger(options: { level: string; name: string; base?: Record<string, unknown>; traceIds?: boolean }): Logger {
  const config: LoggerOptions = {
    level: options.level,
    name: options.name,
    base: { pid: process.pid, ...options.base },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', 'databaseUrl', 'redisUrl'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    ...(options.traceIds ? { mixin: traceIds } : {}),
  }
  return pino(config)
}

/** Removes the password from a connection URL before it is logged or shown to a person. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return url
  }
}

/** What a library needs of a logger: satisfied by pino and by Fastify's `request.log`/`fastify.log`. */
export type Log = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>
