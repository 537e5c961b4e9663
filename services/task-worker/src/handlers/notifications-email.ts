import { sendNotification } from '@latchkey/business'
import Type from 'typebox'
import { defineBusinessTask } from '../business-task.ts'

/** E-mail notifications: SMTP when SMTP_URL is set, else an .eml file in MAIL_DIR. */
export default defineBusinessTask({
  type: 'notifications.email',
  description: 'Sends one notification by e-mail (SMTP_URL, or a .eml file in MAIL_DIR) and marks it sent; a sent notification is not sent again',
  queues: ['business_processes'],
  payload: Type.Object({ notificationId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
  maxAttempts: 8,
  backoff: { baseMs: 2_000, maxMs: 600_000 },
  timeoutMs: 120_000,
  async run(payload, { services }) {
    return sendNotification(services.business.db, { notificationId: payload.notificationId, from: services.settings.mailFrom, transport: services.mail })
  },
})
