export { PermissionClient, createPermissionClient, type PermissionClientOptions, type CheckAnswer, type CheckQuestion, type RevisionOption } from './permission-client.ts'
export {
  PermissionServiceUnavailableError,
  PermissionOrgNotFoundError,
  PermissionRevisionAheadError,
  PermissionRequestInvalidError,
} from './errors.ts'
