import type { PermissionContext, RequestMeta } from '../context.ts'
import { OrgNotFoundError } from '@latchkey/errors'
import { OrgExistsError } from '../errors.ts'
import { createOrg as insertOrg, deleteOrgContents, bumpRevision, type OrgRow } from '../store/organizations.ts'
import { writeToOrg } from '../writes/write-to-org.ts'
import { requireOrg } from './resolve.ts'

export async function createOrganization(ctx: PermissionContext, input: { slug: string; name: string }, meta: RequestMeta): Promise<OrgRow> {
  const { org } = await writeToOrg(
    ctx,
    input.slug,
    meta,
    async () => ({ result: undefined, event: { type: 'organization.created', payload: { name: input.name } }, stale: 'all' }),
    {
      open: async (tx) => {
        const org = await insertOrg(tx, input.slug, input.name)
        if (!org) throw new OrgExistsError(input.slug)
        return org
      },
    },
  )
  return org
}

export async function getOrganization(ctx: PermissionContext, slug: string): Promise<OrgRow> {
  return requireOrg(ctx, slug)
}

export async function renameOrganization(ctx: PermissionContext, slug: string, name: string, meta: RequestMeta): Promise<OrgRow> {
  const { org } = await writeToOrg(
    ctx,
    slug,
    meta,
    async () => ({ result: undefined, event: { type: 'organization.updated', payload: { name } }, stale: [] }),
    {
      open: async (tx) => {
        const org = await bumpRevision(tx, slug, name)
        if (!org) throw new OrgNotFoundError(slug)
        return org
      },
    },
  )
  return org
}

/** Deletes the organization with its roles and memberships; every cached entry of it dies. */
export async function deleteOrganization(ctx: PermissionContext, slug: string, meta: RequestMeta): Promise<{ revision: number }> {
  const { org } = await writeToOrg(ctx, slug, meta, async (tx, org) => {
    await deleteOrgContents(tx, org.id)
    return { result: undefined, event: { type: 'organization.deleted', payload: {} }, stale: 'all' }
  })
  return { revision: org.revision }
}
