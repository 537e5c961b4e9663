import type { Database } from '@latchkey/db'
import { passwordExpired } from './notification-templates.ts'
import { recordNotifications } from './notifications.ts'

export interface PasswordExpirationResult {
  /** Users whose password is older than the policy allows. */
  expired: number
  created: number
  unsent: string[]
}

/**
 * A notification to every user whose password was last changed longer than `maxAgeMs` ago:
 * once per user and password (changing it makes the next expiry a new notification). Users
 * without a known `passwordChangedAt` are left alone.
 */
export async function notifyExpiredPasswords(db: Database, input: { maxAgeMs: number; now: Date }): Promise<PasswordExpirationResult> {
  const cutoff = new Date(input.now.getTime() - input.maxAgeMs)
  const users = await db.$queryRaw<{ id: string; name: string | null; password_changed_at: Date }[]>`
    SELECT id, name, password_changed_at FROM users WHERE password_changed_at <= ${cutoff} ORDER BY id`
  const maxAgeDays = Math.round(input.maxAgeMs / 86_400_000)
  const drafts = users.map((u) => passwordExpired({ id: u.id, name: u.name, passwordChangedAt: u.password_changed_at }, maxAgeDays))
  const recorded = await recordNotifications(db, drafts)
  return { expired: users.length, ...recorded }
}
