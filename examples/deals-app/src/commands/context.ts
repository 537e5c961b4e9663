import type { BusinessDeps } from '@latchkey/business'
import type { Log } from '@latchkey/logger'
import type { TasksClient } from '@latchkey/tasks-client'

/** What the example's commands use; HTTP is only one way to call them. */
export interface DealsAppContext {
  business: BusinessDeps
  tasks: TasksClient
  log: Log
}

/** The request facts a write records with its change event (W3C trace context). */
export type TraceContext = Record<string, string>
