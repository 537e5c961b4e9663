// Many users and memberships at once, in one SQL statement (through the API, thousands of
// membership writes are serialized on the organization's row and take minutes on a busy machine).
// Only for data no cache has seen yet: these rows bypass the revision, the outbox and every
// invalidation.
import pg from 'pg'

/**
 * Inserts `users` (ids; email `<id>@bench.example`) and makes each a member of `orgSlug` holding
 * the role `roleFor(i)` (by name). Returns the number of memberships inserted.
 */
export async function insertMembers(databaseUrl: string, orgSlug: string, users: string[], roleFor: (index: number) => string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const roles = users.map((_, i) => roleFor(i))
    const result = await client.query(
      `WITH org AS (SELECT id FROM organizations WHERE slug = $1 AND deleted_at IS NULL),
       new_users AS (
         INSERT INTO users (id, email, updated_at) SELECT u, u || '@bench.example', now() FROM unnest($2::text[]) AS u
         ON CONFLICT (id) DO NOTHING RETURNING id
       )
       INSERT INTO member_roles (org_id, user_id, role_id)
       SELECT org.id, x.u, r.id FROM unnest($2::text[], $3::text[]) AS x(u, role) CROSS JOIN org
       JOIN roles r ON r.org_id = org.id AND r.name = x.role
       ON CONFLICT DO NOTHING`,
      [orgSlug, users, roles],
    )
    return result.rowCount ?? 0
  } finally {
    await client.end()
  }
}

/** Size of the newest outbox event of an organization: its payload as JSON text, in bytes. */
export async function newestEventSize(databaseUrl: string, orgSlug: string): Promise<{ type: string; bytes: number; entries: number } | undefined> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ type: string; bytes: number; entries: number }>(
      `SELECT e.type, octet_length(e.payload::text) AS bytes,
              COALESCE((SELECT sum(jsonb_array_length(i->'entries')) FROM jsonb_array_elements(e.payload->'invalidations') i
                        WHERE jsonb_typeof(i->'entries') = 'array'), 0)::int AS entries
       FROM outbox_events e JOIN organizations o ON o.id = e.org_id WHERE o.slug = $1 ORDER BY e.id DESC LIMIT 1`,
      [orgSlug],
    )
    return rows[0]
  } finally {
    await client.end()
  }
}

/**
 * When the outbox rows of an organization's revisions were written and published, in ms since the
 * epoch (PostgreSQL's clock: `created_at` is now() of the write's transaction, i.e. its start;
 * `published_at` is set once JetStream acknowledged the event).
 */
export async function outboxTimes(databaseUrl: string, orgSlug: string, revisions: string[]): Promise<Map<string, { createdMs: number; publishedMs: number | undefined }>> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ rev: string; created_ms: string; published_ms: string | null }>(
      `SELECT e.org_seq::text AS rev, (extract(epoch FROM e.created_at) * 1000)::bigint::text AS created_ms,
              (extract(epoch FROM e.published_at) * 1000)::bigint::text AS published_ms
       FROM outbox_events e JOIN organizations o ON o.id = e.org_id WHERE o.slug = $1 AND e.org_seq = ANY($2::bigint[])`,
      [orgSlug, revisions],
    )
    return new Map(rows.map((r) => [r.rev, { createdMs: Number(r.created_ms), publishedMs: r.published_ms === null ? undefined : Number(r.published_ms) }]))
  } finally {
    await client.end()
  }
}
