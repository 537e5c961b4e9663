import type { Log } from '@latchkey/logger'
import type { Enqueued, EnqueueInput, TaskTypeCatalog } from '@latchkey/tasks-client'
import type { SchedulerMetrics } from './engine/metrics.ts'
import type { ScheduleStore } from './store/schedule-store.ts'

/** What the schedule commands need; built once by the service plugin. */
export interface SchedulerContext {
  store: ScheduleStore
  /** The task worker's catalog and payload limit: a schedule is checked as its task would be. */
  task: { catalog: TaskTypeCatalog; maxPayloadBytes: number }
  enqueue(inputs: EnqueueInput[]): Promise<Enqueued[]>
  isLeader(): boolean
  metrics: SchedulerMetrics
  log: Log
}
