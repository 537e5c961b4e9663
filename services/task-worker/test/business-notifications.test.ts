import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import t from 'tap'
import { runTask, startBusinessPlatform, type BusinessPlatform } from './business-helpers.ts'
import { queryDatabase, waitFor } from '@latchkey/testing'
import { waitForStatus, enqueue } from './helpers.ts'

const dayMs = 86_400_000

const emlFiles = async (mailDir: string) => (await readdir(mailDir).catch(() => [] as string[])).filter((name) => name.endsWith('.eml')).sort()

/** Waits until every notification of `kind` is marked sent; answers them. */
async function waitUntilSent(platform: BusinessPlatform, kind: string, count: number) {
  return waitFor(`${count} ${kind} notifications to be sent`, async () => {
    const rows = await queryDatabase<{ id: string; user_id: string; subject: string; sent_at: Date | null; message_id: string | null; dedupe_key: string }>(
      platform.databaseUrl,
      'SELECT id, user_id, subject, sent_at, message_id, dedupe_key FROM notifications WHERE kind = $1 ORDER BY id',
      [kind],
    )
    return rows.length === count && rows.every((row) => row.sent_at) ? rows : undefined
  }, { timeoutMs: 30_000 })
}

t.test('auth.password_expiration_check notifies each user whose password is older than PASSWORD_MAX_AGE, once, by e-mail into MAIL_DIR', async (t) => {
  const platform = await startBusinessPlatform(t)
  const now = Date.now()
  const expired = platform.plan.users.filter((u) => u.passwordChangedAt && now - Date.parse(u.passwordChangedAt) >= 90 * dayMs)
  t.ok(expired.length > 0 && expired.length < platform.plan.users.length, `the generated users include expired passwords (${expired.length} of ${platform.plan.users.length})`)

  const task = await runTask(platform, { queue: 'auth', type: 'auth.password_expiration_check' })
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.match(task.result, { expired: expired.length, created: expired.length, emailsEnqueued: expired.length })
  const sent = await waitUntilSent(platform, 'password_expired', expired.length)
  t.same(sent.map((n) => n.user_id).sort(), expired.map((u) => u.id).sort(), 'exactly the users with an expired password')

  const files = await emlFiles(platform.mailDir)
  t.same(files, sent.map((n) => `${n.id}.eml`).sort(), 'one .eml file per notification')
  const user = expired[0]!
  const mail = await readFile(join(platform.mailDir, `${sent.find((n) => n.user_id === user.id)!.id}.eml`), 'utf8')
  t.match(mail, `To: ${user.email}`, 'addressed to the user')
  t.match(mail, 'Subject: Your password has expired')
  t.match(mail, /Message-ID: <notification-[0-9a-f-]+@latchkey>/)

  // Run again: the same users, the same passwords: nothing new is recorded or sent.
  const again = await runTask(platform, { queue: 'auth', type: 'auth.password_expiration_check' })
  t.match(again.result, { expired: expired.length, created: 0, emailsEnqueued: 0 })
  t.same(await emlFiles(platform.mailDir), files, 'no second e-mail')

  // A new password ends the expiry; letting it expire again is a new notification.
  await queryDatabase(platform.databaseUrl, `UPDATE users SET password_changed_at = now() - interval '91 days' WHERE id = $1`, [user.id])
  const third = await runTask(platform, { queue: 'auth', type: 'auth.password_expiration_check' })
  t.match(third.result, { created: 1, emailsEnqueued: 1 }, 'a password changed and expired again is notified again')
})

t.test('business.deal_verification_reminders reminds the owner of each deal pending verification too long, once a day', async (t) => {
  const platform = await startBusinessPlatform(t)
  const cutoff = Date.now() - 2 * dayMs
  const overdue = platform.business.deals.filter(
    (d) => d.verificationStatus === 'pending' && Date.parse(d.verificationRequestedAt!) <= cutoff && !['won', 'lost'].includes(d.stage),
  )
  t.ok(overdue.length > 0, `the generated deals include overdue verifications (${overdue.length})`)

  const task = await runTask(platform, { queue: 'business_processes', type: 'business.deal_verification_reminders' })
  t.equal(task.status, 'succeeded', task.error ?? '')
  t.match(task.result, { overdue: overdue.length, created: overdue.length, emailsEnqueued: overdue.length })
  const sent = await waitUntilSent(platform, 'deal_verification_reminder', overdue.length)
  const today = new Date().toISOString().slice(0, 10)
  t.same(sent.map((n) => n.dedupe_key).sort(), overdue.map((d) => `deal-verification:${d.id}:${today}`).sort(), 'one reminder per overdue deal and day')
  t.same(sent.map((n) => n.user_id).sort(), overdue.map((d) => d.owner).sort(), 'each to the deal owner')

  const again = await runTask(platform, { queue: 'business_processes', type: 'business.deal_verification_reminders' })
  t.match(again.result, { overdue: overdue.length, created: 0, emailsEnqueued: 0 }, 'the same day: no second reminder')
  t.equal((await emlFiles(platform.mailDir)).length, overdue.length)

  // The sender is idempotent too: a notification already sent is not sent again.
  const { id } = await enqueue(platform.client, { queue: 'business_processes', type: 'notifications.email', payload: { notificationId: sent[0]!.id } })
  const resend = await waitForStatus(platform.client, id, ['succeeded', 'dead'])
  t.match(resend.result, { sent: false, messageId: sent[0]!.message_id }, 'sending a sent notification again sends nothing')
  t.equal((await emlFiles(platform.mailDir)).length, overdue.length)
})
