import type { PermissionContext, RequestMeta } from '../context.ts'
import { RoleCycleError, RoleExistsError, RoleInUseError, RoleNotFoundError, UnknownPermissionError, UnknownRoleError } from '../errors.ts'
import { findUnknownPermissions } from '../store/catalog.ts'
import { loadRoles, type RoleDetail } from '../store/effective-permissions.ts'
import {
  deleteRole as removeRole,
  findInheritanceCycle,
  findInheritors,
  findRoleId,
  findRoleIds,
  findRoleReach,
  insertRole,
  replaceRoleGrants,
} from '../store/roles.ts'
import type { Tx } from '../store/transaction.ts'
import { writeToOrg } from '../writes/write-to-org.ts'
import { requireOrg } from './resolve.ts'
import { ORG_ROLES_ID, staleAfterRoleChange } from './stale-entries.ts'

export interface RoleInput {
  name: string
  permissions: string[]
  inherits?: string[] | undefined
}

export interface WrittenRole {
  name: string
  permissions: string[]
  inherits: string[]
  revision: number
}

const sorted = (values: string[]) => [...values].sort()

/** Checks the permissions and parent roles a role names; returns the parents' ids. */
async function resolveGrants(tx: Tx, orgId: string, input: RoleInput): Promise<string[]> {
  const unknownPermissions = await findUnknownPermissions(tx, input.permissions)
  if (unknownPermissions.length > 0) throw new UnknownPermissionError(unknownPermissions.join(', '))
  const inherits = input.inherits ?? []
  if (inherits.includes(input.name)) throw new RoleCycleError(`${input.name} → ${input.name}`)
  const parents = await findRoleIds(tx, orgId, inherits)
  const missing = inherits.filter((name) => !parents.has(name))
  if (missing.length > 0) throw new UnknownRoleError(missing.join(', '))
  return inherits.map((name) => parents.get(name)!)
}

export async function createRole(ctx: PermissionContext, slug: string, input: RoleInput, meta: RequestMeta): Promise<WrittenRole> {
  const { result, org } = await writeToOrg(ctx, slug, meta, async (tx, org) => {
    const parentIds = await resolveGrants(tx, org.id, input)
    const roleId = await insertRole(tx, org.id, input.name)
    if (!roleId) throw new RoleExistsError(input.name)
    await replaceRoleGrants(tx, roleId, input.permissions, parentIds)
    const role = { name: input.name, permissions: sorted(input.permissions), inherits: sorted(input.inherits ?? []) }
    return { result: role, event: { type: 'role.created', payload: role }, stale: staleAfterRoleChange(ctx.types, { roles: [input.name], users: [] }) }
  })
  return { ...result, revision: org.revision }
}

/** Replaces a role's permissions and inheritance (an omitted `inherits` means none). */
export async function replaceRole(ctx: PermissionContext, slug: string, input: RoleInput, meta: RequestMeta): Promise<WrittenRole> {
  const { result, org } = await writeToOrg(ctx, slug, meta, async (tx, org) => {
    const roleId = await findRoleId(tx, org.id, input.name)
    if (!roleId) throw new RoleNotFoundError(input.name, slug)
    const parentIds = await resolveGrants(tx, org.id, input)
    const cycleVia = await findInheritanceCycle(tx, roleId, parentIds)
    if (cycleVia) throw new RoleCycleError(`${input.name} → ${cycleVia} → … → ${input.name}`)
    const reach = await findRoleReach(tx, roleId)
    await replaceRoleGrants(tx, roleId, input.permissions, parentIds)
    const role = { name: input.name, permissions: sorted(input.permissions), inherits: sorted(input.inherits ?? []) }
    return {
      result: role,
      event: { type: 'role.updated', payload: { ...role, affectedUsers: reach.users.length } },
      stale: staleAfterRoleChange(ctx.types, reach),
    }
  })
  return { ...result, revision: org.revision }
}

/** Deletes a role (refused while another role inherits it); its members lose it. */
export async function deleteRole(ctx: PermissionContext, slug: string, name: string, meta: RequestMeta): Promise<{ revision: number }> {
  const { org } = await writeToOrg(ctx, slug, meta, async (tx, org) => {
    const roleId = await findRoleId(tx, org.id, name)
    if (!roleId) throw new RoleNotFoundError(name, slug)
    const inheritors = await findInheritors(tx, roleId)
    if (inheritors.length > 0) throw new RoleInUseError(name, inheritors.join(', '))
    const reach = await findRoleReach(tx, roleId)
    await removeRole(tx, roleId)
    return {
      result: undefined,
      event: { type: 'role.deleted', payload: { name, affectedUsers: reach.users.length } },
      stale: staleAfterRoleChange(ctx.types, reach),
    }
  })
  return { revision: org.revision }
}

export async function listRoles(ctx: PermissionContext, slug: string): Promise<RoleDetail[]> {
  const org = await requireOrg(ctx, slug)
  const found = await ctx.cache.get(ctx.types.orgRoles, org.id, ORG_ROLES_ID, async () => {
    const loaded = await loadRoles(ctx.db, org.id)
    return { value: loaded.roles, revision: loaded.revision }
  })
  return found.value
}

export async function getRole(ctx: PermissionContext, slug: string, name: string): Promise<RoleDetail> {
  const org = await requireOrg(ctx, slug)
  const found = await ctx.cache.get(ctx.types.rolePermissions, org.id, name, async () => {
    const loaded = await loadRoles(ctx.db, org.id, name)
    return { value: loaded.roles[0] ?? null, revision: loaded.revision }
  })
  if (!found.value) throw new RoleNotFoundError(name, slug)
  return found.value
}
