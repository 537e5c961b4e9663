import { defineError } from '@latchkey/errors'

/** The permission service could not be reached, or did not answer within the deadline. */
export const PermissionServiceUnavailableError = defineError<[string]>(
  'LK_ERR_PERMISSION_SERVICE_UNAVAILABLE',
  'The permission service is unavailable: %s',
  503,
)

// The service's own refusals, under the codes it sends in the `lk-code` metadata.
export const PermissionOrgNotFoundError = defineError<[string]>('LK_ERR_ORG_NOT_FOUND', '%s', 404)
export const PermissionRevisionAheadError = defineError<[string]>('LK_ERR_REVISION_AHEAD', '%s', 409)
export const PermissionRequestInvalidError = defineError<[string]>('LK_ERR_VALIDATION', '%s', 400)
