import { slugPartition } from '@latchkey/events'
import type { PermissionContext } from '../context.ts'
import { RevisionAheadError } from '../errors.ts'
import { checkDirect } from '../store/effective-permissions.ts'
import { batchedPermissionSetLoader, parseRevision, resolveOrg, requireOrg, userPermissions } from './resolve.ts'

// What happens on a check: the organization (by slug) and the user's effective permissions are
// read through L1, then L2, then PostgreSQL (see docs/architecture.md); the answer is membership
// of the permission in that set. Unknown organizations, users and permissions answer false.

export interface CheckInput {
  org: string
  user: string
  permission: string
  atLeastRevision?: string | number | undefined
}

export interface CheckAnswer {
  allowed: boolean
  revision: number
}

/**
 * A check. When L1 holds both entries (the common case) the answer comes back at once, with no
 * promise made or awaited: at tens of thousands of checks a second that is a measurable share of
 * each. Otherwise a promise, through L2 and PostgreSQL.
 */
export function check(ctx: PermissionContext, input: CheckInput): CheckAnswer | Promise<CheckAnswer> {
  const minRevision = parseRevision(input.atLeastRevision)
  if (!ctx.cache.enabled) return checkUncached(ctx, input, minRevision)
  const peekedOrg = ctx.cache.peek(ctx.types.organization, slugPartition(input.org), input.org, minRevision)
  if (peekedOrg) {
    if (!peekedOrg.value) return { allowed: false, revision: 0 }
    const permissions = ctx.cache.peek(ctx.types.userPermissions, peekedOrg.value.id, input.user, minRevision)
    if (permissions) return { allowed: permissions.value.has(input.permission), revision: permissions.revision }
  }
  return checkThroughCache(ctx, input, minRevision)
}

async function checkThroughCache(ctx: PermissionContext, input: CheckInput, minRevision: number): Promise<CheckAnswer> {
  const org = await resolveOrg(ctx, input.org, minRevision)
  if (!org) return { allowed: false, revision: 0 }
  const permissions = await userPermissions(ctx, org, input.user, minRevision)
  return { allowed: permissions.value.has(input.permission), revision: permissions.revision }
}

/** With both cache levels off, one SQL statement answers a check (the uncached baseline). */
async function checkUncached(ctx: PermissionContext, input: CheckInput, minRevision: number): Promise<CheckAnswer> {
  const answer = await checkDirect(ctx.db, input.org, input.user, input.permission)
  if (!answer) return { allowed: false, revision: 0 }
  if (answer.revision < minRevision) throw new RevisionAheadError(String(minRevision), String(answer.revision))
  return answer
}

export interface BulkCheckAnswer {
  results: { allowed: boolean }[]
  /** Per organization: every answer about it reflects at least this revision. */
  revisions: Record<string, number>
}

/**
 * Many checks at once, through the same caches: each organization is resolved once and each
 * (organization, user) pair's permissions are read once, whatever the number of checks naming
 * them; the pairs missing from both caches are read with one statement per organization.
 */
export async function bulkCheck(ctx: PermissionContext, checks: CheckInput[]): Promise<BulkCheckAnswer> {
  const minByOrg = new Map<string, number>()
  for (const c of checks) minByOrg.set(c.org, Math.max(minByOrg.get(c.org) ?? 0, parseRevision(c.atLeastRevision)))
  const orgs = new Map(await Promise.all([...minByOrg].map(async ([slug, min]) => [slug, await resolveOrg(ctx, slug, min)] as const)))

  const sets = new Map<string, ReturnType<typeof userPermissions>>()
  const revisions: Record<string, number> = {}
  const load = batchedPermissionSetLoader(ctx)
  for (const c of checks) {
    const org = orgs.get(c.org)
    if (!org) continue
    const key = `${c.org}\u0000${c.user}`
    if (!sets.has(key)) sets.set(key, userPermissions(ctx, org, c.user, minByOrg.get(c.org), load))
  }
  const resolved = new Map<string, Awaited<ReturnType<typeof userPermissions>>>()
  await Promise.all([...sets].map(async ([key, pending]) => resolved.set(key, await pending)))

  const results = checks.map((c) => {
    const org = orgs.get(c.org)
    if (!org) {
      revisions[c.org] = 0
      return { allowed: false }
    }
    const permissions = resolved.get(`${c.org}\u0000${c.user}`)!
    revisions[c.org] = Math.min(revisions[c.org] ?? Number.MAX_SAFE_INTEGER, permissions.revision)
    return { allowed: permissions.value.has(c.permission) }
  })
  return { results, revisions }
}

/** A user's effective permissions in an organization (404 when the organization does not exist). */
export async function listUserPermissions(
  ctx: PermissionContext,
  input: { org: string; user: string; atLeastRevision?: string | number | undefined },
): Promise<{ permissions: string[]; revision: number }> {
  const minRevision = parseRevision(input.atLeastRevision)
  const org = await requireOrg(ctx, input.org, minRevision)
  const permissions = await userPermissions(ctx, org, input.user, minRevision)
  return { permissions: permissions.value.keys, revision: permissions.revision }
}
