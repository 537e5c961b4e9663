import { status, type ServiceError } from '@grpc/grpc-js'
import { Metadata } from '@grpc/grpc-js'
import { toApiError } from '@latchkey/errors'

const byHttpStatus: Record<number, status> = {
  400: status.INVALID_ARGUMENT,
  401: status.UNAUTHENTICATED,
  404: status.NOT_FOUND,
  409: status.FAILED_PRECONDITION,
  413: status.RESOURCE_EXHAUSTED,
  422: status.INVALID_ARGUMENT,
  503: status.UNAVAILABLE,
}

/** The gRPC side of the one error mapping: same LK_ code (in metadata `lk-code`) and message as HTTP. */
export function toGrpcError(err: unknown): Partial<ServiceError> {
  const { api } = toApiError(err)
  const metadata = new Metadata()
  metadata.set('lk-code', api.code)
  return { code: byHttpStatus[api.statusCode] ?? status.INTERNAL, details: `${api.code}: ${api.message}`, metadata }
}
