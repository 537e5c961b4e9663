import type { CacheKey } from '@latchkey/cache'
import type { PermissionCacheTypes } from '../cache-types.ts'

// Which cache entries a change makes stale. Exact: a role change reaches the role, the roles that
// inherit it and the users holding any of them; a membership change reaches one user.

export const ORG_ROLES_ID = 'all'

export function staleAfterRoleChange(types: PermissionCacheTypes, reach: { roles: string[]; users: string[] }): CacheKey[] {
  return [
    { type: types.orgRoles.name, id: ORG_ROLES_ID },
    ...reach.roles.map((id) => ({ type: types.rolePermissions.name, id })),
    ...reach.users.map((id) => ({ type: types.userPermissions.name, id })),
  ]
}

export function staleAfterMembershipChange(types: PermissionCacheTypes, userId: string): CacheKey[] {
  return [{ type: types.userPermissions.name, id: userId }]
}
