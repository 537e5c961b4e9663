import type { BusinessDeps, MailTransport } from '@latchkey/business'
import type { Subjects } from '@latchkey/events'
import type { NatsConnection } from '@latchkey/nats'
import type { Enqueued, EnqueueInput } from '@latchkey/tasks-client'
import type { BusinessSettings } from './business-config.ts'

/**
 * What handlers may use besides their payload: the process's shared connections, built once by
 * the service plugin and handed to every attempt (`context.services`).
 */
export interface TaskServices {
  /** The shared database and the cache (Redis) the business processors write and invalidate. */
  business: BusinessDeps
  settings: BusinessSettings
  mail: MailTransport
  nats: NatsConnection
  subjects: Subjects
  /** Enqueues follow-up tasks: the tasks client's code path, in process (validated, published, recorded). */
  enqueue(inputs: EnqueueInput[]): Promise<Enqueued[]>
  /** Reachability probes of the platform's dependencies, by name (for system.health_check). */
  probes: Record<string, () => Promise<unknown>>
}
