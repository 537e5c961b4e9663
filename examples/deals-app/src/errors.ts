import { defineError } from '@latchkey/errors'

export const PermissionDeniedError = defineError<[string, string, string]>('LK_ERR_PERMISSION_DENIED', 'User %s may not %s in organization %s', 403)
export const DealNotFoundError = defineError<[string, string]>('LK_ERR_DEAL_NOT_FOUND', 'Deal %s does not exist in organization %s', 404)
export const NoActingUserError = defineError<[]>('LK_ERR_UNAUTHENTICATED', 'Name the acting user in the x-user-id header (1 to 128 characters of A-Z a-z 0-9 _ . @ : -)', 401)
export const RevisionAheadError = defineError<[string]>('LK_ERR_REVISION_AHEAD', 'atLeastRevision %s is newer than the organization’s current revision', 409)
