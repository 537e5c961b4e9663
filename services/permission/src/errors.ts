import { defineError } from '@latchkey/errors'

// The permission service's domain errors. Commands throw them; the HTTP error handler and the gRPC
// status mapping turn them into API errors.
export const OrgExistsError = defineError<[string]>('LK_ERR_ORG_EXISTS', 'Organization %s already exists', 409)
export const PermissionExistsError = defineError<[string]>('LK_ERR_PERMISSION_EXISTS', 'Permission %s already exists', 409)
export const UnknownPermissionError = defineError<[string]>('LK_ERR_UNKNOWN_PERMISSION', 'Unknown permission(s): %s', 422)
export const RoleNotFoundError = defineError<[string, string]>('LK_ERR_ROLE_NOT_FOUND', 'Role %s does not exist in organization %s', 404)
export const RoleExistsError = defineError<[string]>('LK_ERR_ROLE_EXISTS', 'Role %s already exists', 409)
export const UnknownRoleError = defineError<[string]>('LK_ERR_UNKNOWN_ROLE', 'Unknown role(s): %s', 422)
export const RoleCycleError = defineError<[string]>('LK_ERR_ROLE_CYCLE', 'Inheritance would form a cycle: %s', 409)
export const RoleInUseError = defineError<[string, string]>('LK_ERR_ROLE_INHERITED', 'Role %s is inherited by %s; change those roles first', 409)
export const UserNotFoundError = defineError<[string, string]>('LK_ERR_USER_NOT_FOUND', 'User %s does not exist; create it with PUT /v1/users/%s', 404)
export const MemberNotFoundError = defineError<[string, string]>('LK_ERR_MEMBER_NOT_FOUND', 'User %s is not a member of %s', 404)
export const RevisionAheadError = defineError<[string, string]>(
  'LK_ERR_REVISION_AHEAD',
  'atLeastRevision %s is newer than the organization\'s current revision %s',
  409,
)
