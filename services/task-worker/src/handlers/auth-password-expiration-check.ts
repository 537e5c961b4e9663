import { notifyExpiredPasswords } from '@latchkey/business'
import Type from 'typebox'
import { defineBusinessTask } from '../business-task.ts'
import { enqueueEmails } from '../notification-tasks.ts'

/** Password expiration check (the replaced system's daily "check-password-expiration"). */
export default defineBusinessTask({
  type: 'auth.password_expiration_check',
  description: 'Notifies (by e-mail) every user whose password is older than PASSWORD_MAX_AGE, once per user and password',
  queues: ['auth'],
  payload: Type.Object({}, { additionalProperties: false }),
  async run(_payload, { services }) {
    const { unsent, ...result } = await notifyExpiredPasswords(services.business.db, { maxAgeMs: services.settings.passwordMaxAgeMs, now: new Date() })
    return { ...result, emailsEnqueued: await enqueueEmails(services, unsent) }
  },
})
