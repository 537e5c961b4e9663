import { RevisionNotReachedError, type Revisioned } from '@latchkey/cache'
import { slugPartition, toPermissionSet, type PermissionSet } from '../cache-types.ts'
import type { PermissionContext } from '../context.ts'
import { OrgNotFoundError, RevisionAheadError } from '../errors.ts'
import { loadUserPermissions } from '../store/effective-permissions.ts'
import { findOrgBySlug, type OrgRow } from '../store/organizations.ts'

/**
 * The organization named by `slug`, current at least as of `minRevision`; undefined when it does
 * not exist. A token newer than the organization's revision is a 409.
 */
export async function resolveOrg(ctx: PermissionContext, slug: string, minRevision = 0): Promise<OrgRow | undefined> {
  try {
    const found = await ctx.cache.get(ctx.types.organization, slugPartition(slug), slug, () => loadOrg(ctx, slug), minRevision)
    return found.value ?? undefined
  } catch (err) {
    if (!(err instanceof RevisionNotReachedError)) throw err
    const current = await findOrgBySlug(ctx.db, slug)
    if (!current) return undefined
    throw new RevisionAheadError(String(minRevision), String(current.revision))
  }
}

export async function requireOrg(ctx: PermissionContext, slug: string, minRevision = 0): Promise<OrgRow> {
  const org = await resolveOrg(ctx, slug, minRevision)
  if (!org) throw new OrgNotFoundError(slug)
  return org
}

/** A user's effective permissions in an organization, current at least as of `minRevision`. */
export async function userPermissions(ctx: PermissionContext, org: OrgRow, userId: string, minRevision = 0): Promise<Revisioned<PermissionSet>> {
  try {
    return await ctx.cache.get(ctx.types.userPermissions, org.id, userId, () => loadPermissionSet(ctx, org.id, userId), minRevision)
  } catch (err) {
    if (err instanceof RevisionNotReachedError) throw new RevisionAheadError(String(minRevision), String(org.revision))
    throw err
  }
}

async function loadOrg(ctx: PermissionContext, slug: string): Promise<Revisioned<OrgRow | null>> {
  const row = await findOrgBySlug(ctx.db, slug)
  return { value: row ?? null, revision: row?.revision ?? 0 }
}

async function loadPermissionSet(ctx: PermissionContext, orgId: string, userId: string): Promise<Revisioned<PermissionSet>> {
  const loaded = await loadUserPermissions(ctx.db, orgId, userId)
  return { value: toPermissionSet(loaded.permissions), revision: loaded.revision }
}

/** Lets the cache compute the entries of a check again by itself, after an invalidation or before expiry. */
export function registerCheckWarmers(ctx: PermissionContext): void {
  ctx.cache.registerWarmer(ctx.types.organization.name, (partition, slug) =>
    ctx.cache.get(ctx.types.organization, partition, slug, () => loadOrg(ctx, slug)),
  )
  ctx.cache.registerWarmer(ctx.types.userPermissions.name, (orgId, userId) =>
    ctx.cache.get(ctx.types.userPermissions, orgId, userId, () => loadPermissionSet(ctx, orgId, userId)),
  )
}

/** `atLeastRevision` as the contract accepts it: a string of digits or a number. */
export function parseRevision(value: string | number | undefined): number {
  return value === undefined || value === '' ? 0 : Number(value)
}
