export { PermissionSet } from './permission-set.ts'
export { userPermissionsCodec } from './user-permissions-codec.ts'
