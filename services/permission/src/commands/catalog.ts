import type { PermissionContext, RequestMeta } from '../context.ts'
import { PermissionExistsError } from '../errors.ts'
import { insertPermission, listPermissions as readPermissions, upsertUser as writeUser, type PermissionRow, type UserRow } from '../store/catalog.ts'
import { appendEvent } from '@latchkey/events'

// The permission catalog and the users are global (not per organization): their changes carry
// no organization revision, and no cached answer depends on them until a role or membership does.

export async function createPermission(ctx: PermissionContext, input: { key: string; description?: string | undefined }, meta: RequestMeta): Promise<PermissionRow> {
  const permission = { key: input.key, description: input.description ?? '' }
  await ctx.db.$transaction(async (tx) => {
    if (!(await insertPermission(tx, permission.key, permission.description))) throw new PermissionExistsError(permission.key)
    await appendEvent(tx, { type: 'permission.created', orgId: null, orgSeq: null, payload: permission, invalidations: [], traceContext: meta.traceContext })
  })
  return permission
}

export async function listPermissions(ctx: PermissionContext): Promise<PermissionRow[]> {
  return readPermissions(ctx.db)
}

export async function upsertUser(ctx: PermissionContext, input: UserRow, meta: RequestMeta): Promise<UserRow> {
  return ctx.db.$transaction(async (tx) => {
    const user = await writeUser(tx, input)
    await appendEvent(tx, {
      type: 'user.upserted',
      orgId: null,
      orgSeq: null,
      payload: { user: user.id, email: user.email, name: user.name, passwordChangedAt: user.passwordChangedAt?.toISOString() ?? null },
      invalidations: [],
      traceContext: meta.traceContext,
    })
    return user
  })
}
