import type { Database } from '@latchkey/db'
import { OPEN_STAGES } from './model.ts'
import { verificationReminder } from './notification-templates.ts'
import { recordNotifications } from './notifications.ts'

export interface RemindersResult {
  /** Deals whose verification has been pending longer than the limit. */
  overdue: number
  /** Reminders recorded now (the others were recorded earlier today). */
  created: number
  /** Reminders not sent yet, to hand to the sender. */
  unsent: string[]
}

/**
 * A reminder to the owner of every open deal whose verification has been pending for longer
 * than `olderThanMs`: at most one per deal and (UTC) day, however often it runs.
 */
export async function remindPendingVerifications(db: Database, input: { olderThanMs: number; now: Date }): Promise<RemindersResult> {
  const cutoff = new Date(input.now.getTime() - input.olderThanMs)
  const deals = await db.$queryRaw<
    { id: string; org_id: string; org_name: string; owner_id: string; owner_name: string | null; title: string; amount: string; requested_at: Date }[]
  >`
    SELECT d.id, d.org_id, o.name AS org_name, d.owner_id, u.name AS owner_name, d.title, d.amount::text AS amount, d.verification_requested_at AS requested_at
    FROM deals d
    JOIN organizations o ON o.id = d.org_id AND o.deleted_at IS NULL
    JOIN users u ON u.id = d.owner_id
    WHERE d.verification_status = 'pending' AND d.verification_requested_at <= ${cutoff}
      AND d.stage = ANY(${[...OPEN_STAGES]}::text[])
    ORDER BY d.verification_requested_at, d.id`
  const drafts = deals.map((d) =>
    verificationReminder(
      { id: d.id, orgId: d.org_id, orgName: d.org_name, ownerId: d.owner_id, ownerName: d.owner_name, title: d.title, amount: d.amount, requestedAt: d.requested_at },
      input.now,
    ),
  )
  const recorded = await recordNotifications(db, drafts)
  return { overdue: deals.length, ...recorded }
}
