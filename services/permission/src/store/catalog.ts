import type { Reader, Tx } from './transaction.ts'

export interface PermissionRow {
  key: string
  description: string
}

export interface UserRow {
  id: string
  email: string
  name: string | null
  passwordChangedAt: Date | null
}

/** Inserts a permission; false when the key already exists. */
export async function insertPermission(tx: Tx, key: string, description: string): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO permissions (key, description, created_at) VALUES (${key}, ${description}, now()) ON CONFLICT (key) DO NOTHING`
  return inserted > 0
}

export async function listPermissions(db: Reader): Promise<PermissionRow[]> {
  return db.permission.findMany({ select: { key: true, description: true }, orderBy: { key: 'asc' } })
}

/** The keys among `keys` that are not in the catalog. */
export async function findUnknownPermissions(db: Reader, keys: string[]): Promise<string[]> {
  if (keys.length === 0) return []
  const rows = await db.$queryRaw<{ key: string }[]>`
    SELECT k AS key FROM unnest(${keys}::text[]) AS k WHERE NOT EXISTS (SELECT 1 FROM permissions p WHERE p.key = k)`
  return rows.map((r) => r.key)
}

export async function upsertUser(tx: Tx, user: UserRow): Promise<UserRow> {
  const data = { email: user.email, name: user.name, passwordChangedAt: user.passwordChangedAt }
  return tx.user.upsert({
    where: { id: user.id },
    create: { id: user.id, ...data },
    update: data,
    select: { id: true, email: true, name: true, passwordChangedAt: true },
  })
}

export async function userExists(db: Reader, id: string): Promise<boolean> {
  const rows = await db.$queryRaw<{ found: number }[]>`SELECT 1 AS found FROM users WHERE id = ${id}`
  return rows.length > 0
}
