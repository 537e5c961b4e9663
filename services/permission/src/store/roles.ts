import type { Reader, Tx } from './transaction.ts'

export async function findRoleId(db: Reader, orgId: string, name: string): Promise<string | undefined> {
  const rows = await db.$queryRaw<{ id: string }[]>`SELECT id FROM roles WHERE org_id = ${orgId}::uuid AND name = ${name}`
  return rows[0]?.id
}

/** Role ids by name; names missing from the result do not exist in the organization. */
export async function findRoleIds(db: Reader, orgId: string, names: string[]): Promise<Map<string, string>> {
  if (names.length === 0) return new Map()
  const rows = await db.$queryRaw<{ id: string; name: string }[]>`
    SELECT id, name FROM roles WHERE org_id = ${orgId}::uuid AND name = ANY(${names}::text[])`
  return new Map(rows.map((r) => [r.name, r.id]))
}

export async function insertRole(tx: Tx, orgId: string, name: string): Promise<string | undefined> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO roles (id, org_id, name, created_at, updated_at) VALUES (gen_random_uuid(), ${orgId}::uuid, ${name}, now(), now())
    ON CONFLICT (org_id, name) DO NOTHING RETURNING id`
  return rows[0]?.id
}

/** Replaces a role's own permissions and the roles it inherits from. */
export async function replaceRoleGrants(tx: Tx, roleId: string, permissions: string[], parentIds: string[]): Promise<void> {
  await tx.$executeRaw`DELETE FROM role_permissions WHERE role_id = ${roleId}::uuid`
  await tx.$executeRaw`DELETE FROM role_inheritance WHERE role_id = ${roleId}::uuid`
  if (permissions.length > 0) {
    await tx.$executeRaw`
      INSERT INTO role_permissions (role_id, permission_key) SELECT ${roleId}::uuid, unnest(${permissions}::text[])`
  }
  if (parentIds.length > 0) {
    await tx.$executeRaw`
      INSERT INTO role_inheritance (role_id, parent_role_id) SELECT ${roleId}::uuid, unnest(${parentIds}::uuid[])`
  }
  await tx.$executeRaw`UPDATE roles SET updated_at = now() WHERE id = ${roleId}::uuid`
}

/**
 * Would `roleId` inheriting `parentIds` close a cycle? It would if the role is one of the parents
 * or one of their ancestors. Returns the names along the offending chain's start, or undefined.
 */
export async function findInheritanceCycle(db: Reader, roleId: string, parentIds: string[]): Promise<string | undefined> {
  if (parentIds.length === 0) return undefined
  const rows = await db.$queryRaw<{ name: string }[]>`
    WITH RECURSIVE ancestors(role_id, via) AS (
      SELECT p, p FROM unnest(${parentIds}::uuid[]) AS p
      UNION
      SELECT ri.parent_role_id, a.via FROM role_inheritance ri JOIN ancestors a ON ri.role_id = a.role_id
    )
    SELECT r.name FROM ancestors a JOIN roles r ON r.id = a.via WHERE a.role_id = ${roleId}::uuid LIMIT 1`
  return rows[0]?.name
}

/** Names of the roles that inherit directly from `roleId`. */
export async function findInheritors(db: Reader, roleId: string): Promise<string[]> {
  const rows = await db.$queryRaw<{ name: string }[]>`
    SELECT r.name FROM role_inheritance ri JOIN roles r ON r.id = ri.role_id WHERE ri.parent_role_id = ${roleId}::uuid ORDER BY 1`
  return rows.map((r) => r.name)
}

/**
 * Everything a change to `roleId` reaches: the role and every role inheriting from it
 * (transitively), and every user holding one of them.
 */
export async function findRoleReach(db: Reader, roleId: string): Promise<{ roles: string[]; users: string[] }> {
  const rows = await db.$queryRaw<{ roles: string[]; users: string[] }[]>`
    WITH RECURSIVE heirs(role_id) AS (
      SELECT ${roleId}::uuid
      UNION
      SELECT ri.role_id FROM role_inheritance ri JOIN heirs h ON ri.parent_role_id = h.role_id
    )
    SELECT ARRAY(SELECT r.name FROM roles r JOIN heirs h ON r.id = h.role_id) AS roles,
           ARRAY(SELECT DISTINCT mr.user_id FROM member_roles mr JOIN heirs h ON mr.role_id = h.role_id) AS users`
  return rows[0]!
}

export async function deleteRole(tx: Tx, roleId: string): Promise<void> {
  await tx.$executeRaw`DELETE FROM roles WHERE id = ${roleId}::uuid`
}
