import type { TaskServices } from './task-services.ts'

/**
 * Hands notifications to the sender: one `notifications.email` task each, keyed by the
 * notification, so that however often a processor runs (or is redelivered) each notification
 * gets one task; the sender itself skips a notification already sent.
 */
export async function enqueueEmails(services: TaskServices, notificationIds: string[]): Promise<number> {
  for (let i = 0; i < notificationIds.length; i += 1_000) {
    const batch = notificationIds.slice(i, i + 1_000)
    await services.enqueue(
      batch.map((notificationId) => ({
        queue: 'business_processes' as const,
        type: 'notifications.email',
        payload: { notificationId },
        idempotencyKey: `notification:${notificationId}`,
      })),
    )
  }
  return notificationIds.length
}
