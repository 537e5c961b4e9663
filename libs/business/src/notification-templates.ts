/** A notification about to be recorded: who, what, and the key that makes it exist once. */
export interface NotificationDraft {
  orgId: string | null
  userId: string
  kind: string
  subject: string
  body: string
  dedupeKey: string
}

const day = (at: Date) => at.toISOString().slice(0, 10)
const greeting = (name: string | null) => `Hello ${name ?? 'there'},`

/** "Please verify deal X": once per deal and day while its verification is pending. */
export function verificationReminder(deal: {
  id: string
  orgId: string
  orgName: string
  ownerId: string
  ownerName: string | null
  title: string
  amount: string
  requestedAt: Date
}, now: Date): NotificationDraft {
  const waitingDays = Math.floor((now.getTime() - deal.requestedAt.getTime()) / 86_400_000)
  return {
    orgId: deal.orgId,
    userId: deal.ownerId,
    kind: 'deal_verification_reminder',
    subject: `[${deal.orgName}] Deal "${deal.title}" is waiting for verification`,
    body: [
      greeting(deal.ownerName),
      '',
      `the deal "${deal.title}" (${deal.amount}) in ${deal.orgName} has been waiting for verification since ${day(deal.requestedAt)} (${waitingDays} days).`,
      'It cannot go past the proposal stage until it is verified.',
    ].join('\n'),
    dedupeKey: `deal-verification:${deal.id}:${day(now)}`,
  }
}

/** "Your password has expired": once per user and password (a new password is a new expiry). */
export function passwordExpired(user: { id: string; name: string | null; passwordChangedAt: Date }, maxAgeDays: number): NotificationDraft {
  return {
    orgId: null,
    userId: user.id,
    kind: 'password_expired',
    subject: 'Your password has expired',
    body: [
      greeting(user.name),
      '',
      `your password was last changed on ${day(user.passwordChangedAt)}, more than ${maxAgeDays} days ago, which the password policy allows.`,
      'Please choose a new one at your next sign-in.',
    ].join('\n'),
    dedupeKey: `password-expired:${user.id}:${user.passwordChangedAt.toISOString()}`,
  }
}
