import type { Reader } from './transaction.ts'

// The roles a user holds in an organization, and every role they inherit from, transitively.
// UNION (not UNION ALL) stops at roles already seen, so even a malformed cycle terminates.

/** A user's effective permissions and the organization's revision, in one statement (one snapshot). */
export async function loadUserPermissions(db: Reader, orgId: string, userId: string): Promise<{ permissions: string[]; revision: number }> {
  const rows = await db.$queryRaw<{ revision: bigint | null; permissions: string[] }[]>`
    WITH RECURSIVE granted(role_id) AS (
      SELECT role_id FROM member_roles WHERE org_id = ${orgId}::uuid AND user_id = ${userId}
      UNION
      SELECT ri.parent_role_id FROM role_inheritance ri JOIN granted g ON ri.role_id = g.role_id
    )
    SELECT (SELECT revision FROM organizations WHERE id = ${orgId}::uuid) AS revision,
           ARRAY(SELECT DISTINCT rp.permission_key FROM role_permissions rp JOIN granted g ON rp.role_id = g.role_id
                 ORDER BY 1) AS permissions`
  const row = rows[0]!
  return { permissions: row.permissions, revision: Number(row.revision ?? 0) }
}

/** Effective permissions of many users of one organization, in one statement (grouped, not per user). */
export async function loadManyUserPermissions(db: Reader, orgId: string, userIds: string[]): Promise<{ revision: number; permissions: Map<string, string[]> }> {
  const rows = await db.$queryRaw<{ user_id: string; revision: bigint | null; permissions: string[] }[]>`
    WITH RECURSIVE granted(user_id, role_id) AS (
      SELECT user_id, role_id FROM member_roles WHERE org_id = ${orgId}::uuid AND user_id = ANY(${userIds}::text[])
      UNION
      SELECT g.user_id, ri.parent_role_id FROM role_inheritance ri JOIN granted g ON ri.role_id = g.role_id
    ), perms AS (
      SELECT g.user_id, array_agg(DISTINCT rp.permission_key ORDER BY rp.permission_key) AS permissions
      FROM granted g JOIN role_permissions rp ON rp.role_id = g.role_id GROUP BY g.user_id
    )
    SELECT u AS user_id, (SELECT revision FROM organizations WHERE id = ${orgId}::uuid) AS revision,
           COALESCE(p.permissions, '{}') AS permissions
    FROM unnest(${userIds}::text[]) AS u LEFT JOIN perms p ON p.user_id = u`
  return { revision: Number(rows[0]?.revision ?? 0), permissions: new Map(rows.map((r) => [r.user_id, r.permissions])) }
}

/**
 * The uncached check: organization, membership, inheritance and permission in one statement.
 * Undefined when the organization does not exist.
 */
export async function checkDirect(db: Reader, slug: string, userId: string, permission: string): Promise<{ allowed: boolean; revision: number } | undefined> {
  const rows = await db.$queryRaw<{ revision: bigint; allowed: boolean }[]>`
    WITH RECURSIVE org AS (
      SELECT id, revision FROM organizations WHERE slug = ${slug} AND deleted_at IS NULL
    ), granted(role_id) AS (
      SELECT mr.role_id FROM member_roles mr JOIN org ON mr.org_id = org.id WHERE mr.user_id = ${userId}
      UNION
      SELECT ri.parent_role_id FROM role_inheritance ri JOIN granted g ON ri.role_id = g.role_id
    )
    SELECT org.revision,
           EXISTS (SELECT 1 FROM role_permissions rp JOIN granted g ON rp.role_id = g.role_id
                   WHERE rp.permission_key = ${permission}) AS allowed
    FROM org`
  const row = rows[0]
  return row && { allowed: row.allowed, revision: Number(row.revision) }
}

export interface RoleDetail {
  name: string
  permissions: string[]
  inherits: string[]
  effectivePermissions: string[]
}

/**
 * The roles of an organization (or the one named) with their own, inherited and effective
 * permissions, and the organization's revision, in one statement.
 */
export async function loadRoles(db: Reader, orgId: string, name: string | null = null): Promise<{ roles: RoleDetail[]; revision: number }> {
  const rows = await db.$queryRaw<(RoleDetail & { revision: bigint })[]>`
    WITH RECURSIVE closure(role_id, ancestor_id) AS (
      SELECT id, id FROM roles WHERE org_id = ${orgId}::uuid AND (${name}::text IS NULL OR name = ${name}::text)
      UNION
      SELECT c.role_id, ri.parent_role_id FROM closure c JOIN role_inheritance ri ON ri.role_id = c.ancestor_id
    )
    SELECT r.name,
           ARRAY(SELECT permission_key FROM role_permissions WHERE role_id = r.id ORDER BY 1) AS permissions,
           ARRAY(SELECT p.name FROM role_inheritance ri JOIN roles p ON p.id = ri.parent_role_id
                 WHERE ri.role_id = r.id ORDER BY 1) AS inherits,
           ARRAY(SELECT DISTINCT rp.permission_key FROM closure c JOIN role_permissions rp ON rp.role_id = c.ancestor_id
                 WHERE c.role_id = r.id ORDER BY 1) AS "effectivePermissions",
           o.revision
    FROM organizations o LEFT JOIN roles r ON r.org_id = o.id AND (${name}::text IS NULL OR r.name = ${name}::text)
    WHERE o.id = ${orgId}::uuid
    ORDER BY r.name`
  const revision = Number(rows[0]?.revision ?? 0)
  return { roles: rows.filter((r) => r.name !== null).map(({ revision: _r, ...role }) => role), revision }
}
