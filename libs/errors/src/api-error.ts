import { STATUS_CODES } from 'node:http'
import {
  BadRequestError,
  BodyTooLargeError,
  InternalError,
  MalformedJsonError,
  UnavailableError,
  UnsupportedMediaTypeError,
  ValidationError,
} from './common-errors.ts'

/** The error shape of the contract, identical on every route. */
export interface ApiError {
  statusCode: number
  code: string
  error: string
  message: string
}

interface ErrorLike {
  code?: unknown
  statusCode?: unknown
  message?: unknown
  validation?: unknown
}

/** Fastify's own request errors, renamed into the contract's codes. */
const frameworkErrors: Record<string, (err: ErrorLike, context: MappingContext) => Error> = {
  FST_ERR_CTP_INVALID_JSON_BODY: (err) => new MalformedJsonError(String(err.message)),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => new MalformedJsonError('the body is empty'),
  FST_ERR_CTP_BODY_TOO_LARGE: (_err, context) => new BodyTooLargeError(context.bodyLimit),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (err) => new UnsupportedMediaTypeError(String(err.message)),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => new BadRequestError('Content-Length does not match the body'),
}

/** What the transport knows that a message may name (the configured body limit, for 413). */
export interface MappingContext {
  bodyLimit: number
}

/** Errors raised when PostgreSQL, Redis or NATS cannot be reached in the middle of a request. */
export function isDependencyOutage(err: unknown): string | undefined {
  const e = err as { code?: unknown; name?: unknown; message?: unknown; cause?: unknown }
  const code = typeof e?.code === 'string' ? e.code : ''
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', '57P01', '57P03', '08006', '08001', '08003'].includes(code)) {
    return 'The database'
  }
  if (code === 'P1001' || code === 'P1017' || code === 'P2024') return 'The database'
  if (typeof e?.message === 'string' && /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(e.message)) {
    return 'The database'
  }
  return e?.cause ? isDependencyOutage(e.cause) : undefined
}

/**
 * Maps any error to the contract's shape: the one place where domain and framework errors become
 * API errors. Client errors keep their message; server errors never reveal internals.
 */
export function toApiError(err: unknown, context: MappingContext = { bodyLimit: 1_048_576 }): { api: ApiError; internal: boolean } {
  const e = (err ?? {}) as ErrorLike
  let mapped: ErrorLike = e
  if (e.validation) {
    // Fastify's message names the part and the field: "body/permission must be string".
    mapped = new ValidationError(String(e.message))
  } else if (typeof e.code === 'string' && frameworkErrors[e.code]) {
    mapped = frameworkErrors[e.code]!(e, context)
  } else if (!(typeof e.code === 'string' && e.code.startsWith('LK_'))) {
    // A domain error says what it is itself; only anything else is read for an outage.
    const dependency = isDependencyOutage(err)
    if (dependency) mapped = new UnavailableError(dependency)
  }
  const statusCode = typeof mapped.statusCode === 'number' ? mapped.statusCode : 500
  const known = typeof mapped.code === 'string' && mapped.code.startsWith('LK_')
  if (statusCode >= 400 && statusCode < 500 && !known) {
    mapped = new BadRequestError(String(mapped.message))
  } else if (statusCode >= 500 && !(known && statusCode === 503)) {
    mapped = new InternalError()
  }
  const status = typeof mapped.statusCode === 'number' ? mapped.statusCode : 500
  return {
    api: {
      statusCode: status,
      code: String(mapped.code),
      error: STATUS_CODES[status] ?? 'Error',
      message: String(mapped.message),
    },
    internal: status >= 500,
  }
}
