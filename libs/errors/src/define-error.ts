import createError from '@fastify/error'

export type LatchkeyErrorCode = `LK_ERR_${string}`

/**
 * Declares a domain error. Every error a user can see is made here, so its code carries the
 * `LK_ERR_` prefix and its HTTP status travels with it to every transport (HTTP, gRPC, NATS).
 */
export function defineError<Args extends unknown[] = [string?]>(
  code: LatchkeyErrorCode,
  message: string,
  statusCode: number,
) {
  return createError<typeof code, typeof statusCode, Args>(code, message, statusCode)
}
