import { remindPendingVerifications } from '@latchkey/business'
import { parseDuration } from '@latchkey/config'
import Type from 'typebox'
import { defineBusinessTask } from '../business-task.ts'
import { enqueueEmails } from '../notification-tasks.ts'

/** Deal verification reminders (the replaced system's daily "deal-verification-reminders"). */
export default defineBusinessTask({
  type: 'business.deal_verification_reminders',
  description: 'Reminds the owner of every deal whose verification has been pending too long, once per deal and day, by e-mail',
  queues: ['business_processes'],
  payload: Type.Object(
    { olderThan: Type.Optional(Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$', description: 'Default DEAL_VERIFICATION_REMINDER_AFTER' })) },
    { additionalProperties: false },
  ),
  async run(payload, { services }) {
    const olderThanMs = payload.olderThan ? parseDuration(payload.olderThan) : services.settings.verificationReminderAfterMs
    const { unsent, ...result } = await remindPendingVerifications(services.business.db, { olderThanMs, now: new Date() })
    return { ...result, emailsEnqueued: await enqueueEmails(services, unsent) }
  },
})
