import { RevisionNotReachedError, type Revisioned } from '@latchkey/cache'
import { PermissionSet } from '@latchkey/permission-set'
import { slugPartition } from '@latchkey/events'
import type { PermissionContext } from '../context.ts'
import { OrgNotFoundError } from '@latchkey/errors'
import { RevisionAheadError } from '../errors.ts'
import { loadManyUserPermissions, loadUserPermissions } from '../store/effective-permissions.ts'
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

type PermissionSetLoader = (orgId: string, userId: string) => Promise<Revisioned<PermissionSet>>

/** A user's effective permissions in an organization, current at least as of `minRevision`. */
export async function userPermissions(
  ctx: PermissionContext,
  org: OrgRow,
  userId: string,
  minRevision = 0,
  load: PermissionSetLoader = (orgId, id) => loadPermissionSet(ctx, orgId, id),
): Promise<Revisioned<PermissionSet>> {
  try {
    return await ctx.cache.get(ctx.types.userPermissions, org.id, userId, () => load(org.id, userId), minRevision)
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
  return { value: new PermissionSet(loaded.permissions), revision: loaded.revision }
}

const maxBatch = 1_000

/**
 * A loader that gathers the users asked for in one turn of the event loop and reads their
 * permissions with one statement per organization (a bulk check on a cold cache would otherwise
 * issue one query per user at once and exhaust the connection pool).
 */
export function batchedPermissionSetLoader(ctx: PermissionContext): PermissionSetLoader {
  type Waiter = { resolve: (value: Revisioned<PermissionSet>) => void; reject: (err: unknown) => void }
  const batches = new Map<string, Map<string, Waiter[]>>()
  const flush = async (orgId: string, waiting: Map<string, Waiter[]>) => {
    const users = [...waiting.keys()]
    for (let i = 0; i < users.length; i += maxBatch) {
      const chunk = users.slice(i, i + maxBatch)
      try {
        const loaded = await loadManyUserPermissions(ctx.db, orgId, chunk)
        for (const user of chunk) {
          const value = { value: new PermissionSet(loaded.permissions.get(user) ?? []), revision: loaded.revision }
          for (const waiter of waiting.get(user)!) waiter.resolve(value)
        }
      } catch (err) {
        for (const user of chunk) for (const waiter of waiting.get(user)!) waiter.reject(err)
      }
    }
  }
  return (orgId, userId) =>
    new Promise((resolve, reject) => {
      let waiting = batches.get(orgId)
      if (!waiting) {
        const batch = new Map<string, Waiter[]>()
        batches.set(orgId, (waiting = batch))
        setImmediate(() => {
          batches.delete(orgId)
          void flush(orgId, batch)
        })
      }
      const waiters = waiting.get(userId)
      if (waiters) waiters.push({ resolve, reject })
      else waiting.set(userId, [{ resolve, reject }])
    })
}

/** Lets the cache compute the entries of a check again by itself, after an invalidation or before expiry. */
export function registerCheckWarmers(ctx: PermissionContext): void {
  // An organization's entry is its partition's only one (the partition is its slug).
  ctx.cache.registerWarmer(ctx.types.organization, async (_partition, [slug]) => {
    const loaded = await loadOrg(ctx, slug!)
    return { revision: loaded.revision, values: new Map([[slug!, loaded.value]]) }
  })
  ctx.cache.registerWarmer(ctx.types.userPermissions, async (orgId, userIds) => {
    const loaded = await loadManyUserPermissions(ctx.db, orgId, userIds)
    return { revision: loaded.revision, values: new Map(userIds.map((user) => [user, new PermissionSet(loaded.permissions.get(user) ?? [])])) }
  })
}

/** `atLeastRevision` as the contract accepts it: a string of digits or a number. */
export function parseRevision(value: string | number | undefined): number {
  return value === undefined || value === '' ? 0 : Number(value)
}
