import type { CacheType } from '@latchkey/cache'
import { jsonCacheType } from '@latchkey/cache'
import { ORGANIZATION_CACHE_TYPE } from '@latchkey/events'
import { userPermissionsCodec, type PermissionSet } from '@latchkey/permission-set'
import type { RoleDetail } from './store/effective-permissions.ts'
import type { OrgRow } from './store/organizations.ts'

export interface CacheTtls {
  organization: number
  userPermissions: number
  rolePermissions: number
  orgRoles: number
}

/** The seed system's four cache types, with their TTLs (configurable; the seed's are the defaults). */
export interface PermissionCacheTypes {
  /** Organization by slug (partition `slug:<slug>`); null caches "no such organization". */
  organization: CacheType<OrgRow | null>
  /** A user's effective permissions in an organization (partition: the organization's id). */
  userPermissions: CacheType<PermissionSet>
  /** A role's effective permissions; null caches "no such role". */
  rolePermissions: CacheType<RoleDetail | null>
  /** An organization's roles, with their grants. */
  orgRoles: CacheType<RoleDetail[]>
}

export function permissionCacheTypes(ttl: CacheTtls): PermissionCacheTypes {
  return {
    organization: jsonCacheType(ORGANIZATION_CACHE_TYPE, ttl.organization),
    userPermissions: { ...userPermissionsCodec, ttlMs: ttl.userPermissions },
    rolePermissions: jsonCacheType('role_permissions', ttl.rolePermissions),
    orgRoles: jsonCacheType('org_roles', ttl.orgRoles),
  }
}
