import type { BusinessDeps, MailTransport } from '@latchkey/business'
import type { TieredCache } from '@latchkey/cache'
import type { Database } from '@latchkey/db'
import type { Subjects } from '@latchkey/events'
import type { NatsConnection } from '@latchkey/nats'
import type { Enqueued, EnqueueInput, TaskStore } from '@latchkey/tasks-client'
import type { Metrics } from '@latchkey/telemetry'
import type { BusinessSettings } from './business-config.ts'
import type { TaskWorkerConfig } from './config.ts'

/**
 * What handlers may use besides their payload: the process's shared connections, built once by
 * the service plugin and handed to every attempt (`context.services`).
 */
export interface TaskServices {
  /** The platform's database (Prisma Client over the process's pool). */
  db: Database
  /** The tasks table. */
  tasks: TaskStore
  /** The process's cache; its Redis tier (`sharedTier`) when Redis is configured and reachable. */
  cache: TieredCache
  /** The process's instruments: what a handler records appears on /metrics. */
  metrics: Metrics
  /** The task worker's variables. */
  config: TaskWorkerConfig
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
