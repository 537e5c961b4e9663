import { pino, type Logger, type LoggerOptions } from 'pino'

export type { Logger }

/**
 * The one logger factory: JSON lines on stdout (what Kubernetes collects), the level from
 * LOG_LEVEL, secrets in URLs and headers redacted.
 */
export function createLogger(options: { level: string; name: string; base?: Record<string, unknown> }): Logger {
  const config: LoggerOptions = {
    level: options.level,
    name: options.name,
    base: { pid: process.pid, ...options.base },
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', 'databaseUrl', 'redisUrl'], censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
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
