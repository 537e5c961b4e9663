import type { Database } from '@latchkey/db'
import type { NotificationDraft } from './notification-templates.ts'

/**
 * Records the notifications (each once: a draft whose dedupe key exists already is skipped) and
 * answers the ids of those among them that are not sent yet, new or not: a run that crashed
 * after recording them and before handing them to the sender is made good by the next run.
 */
export async function recordNotifications(db: Database, drafts: NotificationDraft[]): Promise<{ created: number; unsent: string[] }> {
  if (drafts.length === 0) return { created: 0, unsent: [] }
  const keys = drafts.map((d) => d.dedupeKey)
  const created = await db.$executeRaw`
    INSERT INTO notifications (id, org_id, user_id, kind, subject, body, dedupe_key)
    SELECT gen_random_uuid(), n.org_id, n.user_id, n.kind, n.subject, n.body, n.dedupe_key
    FROM unnest(${drafts.map((d) => d.orgId)}::uuid[], ${drafts.map((d) => d.userId)}::text[], ${drafts.map((d) => d.kind)}::text[],
                ${drafts.map((d) => d.subject)}::text[], ${drafts.map((d) => d.body)}::text[], ${keys}::text[])
         AS n(org_id, user_id, kind, subject, body, dedupe_key)
    ON CONFLICT (dedupe_key) DO NOTHING`
  const unsent = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM notifications WHERE dedupe_key = ANY(${keys}::text[]) AND sent_at IS NULL ORDER BY created_at, id`
  return { created, unsent: unsent.map((row) => row.id) }
}
