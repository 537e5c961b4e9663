import type { Database } from '@latchkey/db'
import { InvalidBusinessInputError } from './errors.ts'
import type { MailTransport } from './mail-transport.ts'

export interface SendResult {
  notificationId: string
  to: string
  /** False when it had been sent already (a task run again sends nothing). */
  sent: boolean
  messageId: string | null
  destination: string
}

/**
 * Sends one notification as e-mail to its user and marks it sent. Already sent: nothing happens.
 * The message goes out before the row is marked (at least once): if the worker dies in between,
 * the retry sends it again with the same Message-ID.
 */
export async function sendNotification(db: Database, input: { notificationId: string; from: string; transport: MailTransport }): Promise<SendResult> {
  const rows = await db.$queryRaw<{ id: string; subject: string; body: string; sent_at: Date | null; message_id: string | null; email: string | null }[]>`
    SELECT n.id, n.subject, n.body, n.sent_at, n.message_id, u.email
    FROM notifications n LEFT JOIN users u ON u.id = n.user_id
    WHERE n.id = ${input.notificationId}::uuid`
  const notification = rows[0]
  if (!notification) throw new InvalidBusinessInputError(`notification ${input.notificationId} does not exist`)
  if (!notification.email) throw new InvalidBusinessInputError(`notification ${input.notificationId}: its user no longer exists`)
  const base = { notificationId: notification.id, to: notification.email, destination: input.transport.destination }
  if (notification.sent_at) return { ...base, sent: false, messageId: notification.message_id }
  const { messageId } = await input.transport.send({ id: notification.id, from: input.from, to: notification.email, subject: notification.subject, text: notification.body })
  await db.$executeRaw`UPDATE notifications SET sent_at = now(), message_id = ${messageId} WHERE id = ${notification.id}::uuid AND sent_at IS NULL`
  return { ...base, sent: true, messageId }
}
