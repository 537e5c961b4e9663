import type { Tx } from './transaction.ts'

/** Sets the roles a user holds in an organization (an empty list leaves no roles). */
export async function setMemberRoles(tx: Tx, orgId: string, userId: string, roleIds: string[]): Promise<void> {
  await tx.$executeRaw`DELETE FROM member_roles WHERE org_id = ${orgId}::uuid AND user_id = ${userId}`
  if (roleIds.length > 0) {
    await tx.$executeRaw`
      INSERT INTO member_roles (org_id, user_id, role_id) SELECT ${orgId}::uuid, ${userId}, unnest(${roleIds}::uuid[])`
  }
}

/** Removes a user from an organization; false when the user was not a member. */
export async function removeMember(tx: Tx, orgId: string, userId: string): Promise<boolean> {
  const removed = await tx.$executeRaw`DELETE FROM member_roles WHERE org_id = ${orgId}::uuid AND user_id = ${userId}`
  return removed > 0
}
