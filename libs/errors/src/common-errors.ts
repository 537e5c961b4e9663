import { defineError } from './define-error.ts'

/** Errors shared by every service; service-specific ones live beside the service's commands. */
export const ValidationError = defineError<[string]>('LK_ERR_VALIDATION', '%s', 400)
export const MalformedJsonError = defineError<[string]>('LK_ERR_MALFORMED_JSON', 'The body is not valid JSON: %s', 400)
export const BodyTooLargeError = defineError<[number]>('LK_ERR_BODY_TOO_LARGE', 'The body is larger than the limit of %d bytes', 413)
export const UnsupportedMediaTypeError = defineError<[string]>('LK_ERR_UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type: %s', 415)
export const RouteNotFoundError = defineError<[string, string]>('LK_ERR_ROUTE_NOT_FOUND', 'No route %s %s', 404)
export const BadRequestError = defineError<[string]>('LK_ERR_BAD_REQUEST', '%s', 400)
export const UnauthenticatedError = defineError<[string]>('LK_ERR_UNAUTHENTICATED', '%s', 401)
export const UnavailableError = defineError<[string]>('LK_ERR_UNAVAILABLE', '%s is unavailable; retry later', 503)
export const InternalError = defineError<[]>('LK_ERR_INTERNAL', 'Internal server error', 500)
/** An organization named by slug that does not exist: the permission service's and the business processes' own. */
export const OrgNotFoundError = defineError<[string]>('LK_ERR_ORG_NOT_FOUND', 'Organization %s does not exist', 404)
