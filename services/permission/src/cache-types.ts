import type { CacheType } from '@latchkey/cache'
import { jsonCacheType } from '@latchkey/cache'
import { ORGANIZATION_CACHE_TYPE } from '@latchkey/events'
import type { RoleDetail } from './store/effective-permissions.ts'
import type { OrgRow } from './store/organizations.ts'

/** A user's effective permissions: the sorted list for answers, the set for checks. */
export interface PermissionSet {
  keys: string[]
  has: ReadonlySet<string>
}

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

/** How a user's permissions are named and written in the cache (what an audit needs to read them back). */
export const userPermissionsCodec: Omit<CacheType<PermissionSet>, 'ttlMs'> = {
  name: 'user_permissions',
  encode: (value) => JSON.stringify(value.keys),
  decode: (text) => toPermissionSet(JSON.parse(text) as string[]),
}

export function permissionCacheTypes(ttl: CacheTtls): PermissionCacheTypes {
  return {
    organization: jsonCacheType(ORGANIZATION_CACHE_TYPE, ttl.organization),
    userPermissions: { ...userPermissionsCodec, ttlMs: ttl.userPermissions },
    rolePermissions: jsonCacheType('role_permissions', ttl.rolePermissions),
    orgRoles: jsonCacheType('org_roles', ttl.orgRoles),
  }
}

export function toPermissionSet(keys: string[]): PermissionSet {
  return { keys, has: new Set(keys) }
}
