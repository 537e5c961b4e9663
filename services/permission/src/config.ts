import { Duration } from '@latchkey/config'
import Type, { type Static } from 'typebox'

/** The permission service's own variables (the shared ones are the program's). */
export const PermissionConfigSchema = Type.Object({
  GRPC_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 50051, description: 'gRPC port; 0 picks a free one' }),
  CACHE_TTL_ORGANIZATION: Duration('1h', 'Organization entries'),
  CACHE_TTL_USER_PERMISSIONS: Duration('15m', "A user's effective permissions in an organization"),
  CACHE_TTL_ROLE_PERMISSIONS: Duration('30m', "A role's effective permissions"),
  CACHE_TTL_ORG_ROLES: Duration('10m', "An organization's role list"),
})

export type PermissionConfig = Static<typeof PermissionConfigSchema>
