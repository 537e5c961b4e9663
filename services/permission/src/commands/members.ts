import type { PermissionContext, RequestMeta } from '../context.ts'
import { MemberNotFoundError, UnknownRoleError, UserNotFoundError } from '../errors.ts'
import { userExists } from '../store/catalog.ts'
import { removeMember, setMemberRoles } from '../store/members.ts'
import { findRoleIds } from '../store/roles.ts'
import { writeToOrg } from '../writes/write-to-org.ts'
import { staleAfterMembershipChange } from './stale-entries.ts'

/** Sets the roles a user holds in an organization. */
export async function setMembership(
  ctx: PermissionContext,
  input: { org: string; user: string; roles: string[] },
  meta: RequestMeta,
): Promise<{ user: string; roles: string[]; revision: number }> {
  const { result, org } = await writeToOrg(ctx, input.org, meta, async (tx, org) => {
    if (!(await userExists(tx, input.user))) throw new UserNotFoundError(input.user, input.user)
    const roleIds = await findRoleIds(tx, org.id, input.roles)
    const missing = input.roles.filter((name) => !roleIds.has(name))
    if (missing.length > 0) throw new UnknownRoleError(missing.join(', '))
    await setMemberRoles(tx, org.id, input.user, [...roleIds.values()])
    const roles = [...input.roles].sort()
    return {
      result: { user: input.user, roles },
      event: { type: 'membership.set', payload: { user: input.user, roles } },
      stale: staleAfterMembershipChange(ctx.types, input.user),
    }
  })
  return { ...result, revision: org.revision }
}

export async function removeMembership(ctx: PermissionContext, input: { org: string; user: string }, meta: RequestMeta): Promise<{ revision: number }> {
  const { org } = await writeToOrg(ctx, input.org, meta, async (tx, org) => {
    if (!(await removeMember(tx, org.id, input.user))) throw new MemberNotFoundError(input.user, input.org)
    return {
      result: undefined,
      event: { type: 'membership.removed', payload: { user: input.user } },
      stale: staleAfterMembershipChange(ctx.types, input.user),
    }
  })
  return { revision: org.revision }
}
