import type { Reader, Tx } from './transaction.ts'

export interface OrgRow {
  id: string
  slug: string
  name: string
  revision: number
}

type RawOrg = { id: string; slug: string; name: string; revision: bigint }
const toOrg = (row: RawOrg): OrgRow => ({ id: row.id, slug: row.slug, name: row.name, revision: Number(row.revision) })

export async function findOrgBySlug(db: Reader, slug: string): Promise<OrgRow | undefined> {
  const rows = await db.$queryRaw<RawOrg[]>`
    SELECT id, slug, name, revision FROM organizations WHERE slug = ${slug} AND deleted_at IS NULL`
  return rows[0] && toOrg(rows[0])
}

/**
 * Opens a write to an organization: takes its row lock (so writes to one organization are
 * serialized, which keeps cycle checks and revisions exact) and moves its revision forward.
 */
export async function bumpRevision(tx: Tx, slug: string, name?: string): Promise<OrgRow | undefined> {
  const rows = await tx.$queryRaw<RawOrg[]>`
    UPDATE organizations SET revision = revision + 1, updated_at = now(), name = COALESCE(${name ?? null}, name)
    WHERE slug = ${slug} AND deleted_at IS NULL
    RETURNING id, slug, name, revision`
  return rows[0] && toOrg(rows[0])
}

/**
 * Creates an organization, or brings back a deleted one with the same slug: its revision goes on
 * from where it stopped, so a revision once handed out never names an older state.
 * Undefined when a live organization already has the slug.
 */
export async function createOrg(tx: Tx, slug: string, name: string): Promise<OrgRow | undefined> {
  const rows = await tx.$queryRaw<RawOrg[]>`
    INSERT INTO organizations (id, slug, name, revision, created_at, updated_at)
    VALUES (gen_random_uuid(), ${slug}, ${name}, 1, now(), now())
    ON CONFLICT (slug) DO UPDATE
      SET name = EXCLUDED.name, deleted_at = NULL, revision = organizations.revision + 1, updated_at = now()
      WHERE organizations.deleted_at IS NOT NULL
    RETURNING id, slug, name, revision`
  return rows[0] && toOrg(rows[0])
}

/** Marks the organization deleted and removes its roles (memberships go with them). */
export async function deleteOrgContents(tx: Tx, orgId: string): Promise<void> {
  await tx.$executeRaw`UPDATE organizations SET deleted_at = now() WHERE id = ${orgId}::uuid`
  await tx.$executeRaw`DELETE FROM member_roles WHERE org_id = ${orgId}::uuid`
  await tx.$executeRaw`DELETE FROM roles WHERE org_id = ${orgId}::uuid`
}
