import type { Database } from '@latchkey/db'
import { OrgNotFoundError } from '@latchkey/errors'

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The id of a live organization named by its id or its slug. */
export async function resolveOrgId(db: Database, org: string): Promise<string> {
  const rows = uuidPattern.test(org)
    ? await db.$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE (id = ${org}::uuid OR slug = ${org}) AND deleted_at IS NULL`
    : await db.$queryRaw<{ id: string }[]>`SELECT id FROM organizations WHERE slug = ${org} AND deleted_at IS NULL`
  if (!rows[0]) throw new OrgNotFoundError(org)
  return rows[0].id
}
