import type { Metrics, KeyedHistogram } from '@latchkey/telemetry'
import type { TaskMessage } from '@latchkey/tasks-client'

const secondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

type Outcome = 'succeeded' | 'failed' | 'dead' | 'cancelled'

/**
 * The task worker's instruments (Prometheus names: counters get `_total` from the exporter).
 * Recorded once or twice per task on the hot path, so they are keyed: a record is a map lookup
 * (the SDK's instruments hash their attributes on every call); counters are summed here and read
 * by observable counters when Prometheus scrapes.
 */
export class TaskMetrics {
  private readonly enqueuedCounts = new Map<string, { attributes: Record<string, string>; value: number }>()
  private readonly outcomeCounts = new Map<string, { attributes: Record<string, string>; value: number }>()
  private readonly duration: KeyedHistogram
  private readonly wait: KeyedHistogram

  constructor(metrics: Metrics) {
    const { meter } = metrics
    meter.createObservableCounter('latchkey_tasks_enqueued', { description: 'Tasks enqueued, by queue and priority' }).addCallback((result) => {
      for (const { attributes, value } of this.enqueuedCounts.values()) result.observe(value, attributes)
    })
    meter
      .createObservableCounter('latchkey_tasks_outcomes', {
        description: 'Attempts by outcome: succeeded, failed (will retry), dead (attempts spent or rejected), cancelled (dropped before it ran)',
      })
      .addCallback((result) => {
        for (const { attributes, value } of this.outcomeCounts.values()) result.observe(value, attributes)
      })
    this.duration = metrics.keyedHistogram('latchkey_tasks_duration_seconds', { unit: 's', description: 'Time an attempt ran, by queue, type and outcome', boundaries: secondsBuckets })
    this.wait = metrics.keyedHistogram('latchkey_tasks_wait_seconds', {
      unit: 's',
      description: "Time from a task's enqueue (a delayed one: its enqueue, delay included) to the start of its first attempt",
      boundaries: secondsBuckets,
    })
  }

  enqueued(tasks: TaskMessage[]): void {
    for (const task of tasks) {
      const key = `${task.queue} ${task.priority}`
      const entry = this.enqueuedCounts.get(key)
      if (entry) entry.value++
      else this.enqueuedCounts.set(key, { attributes: { queue: task.queue, priority: task.priority }, value: 1 })
    }
  }

  outcome(task: TaskMessage, outcome: Outcome, seconds: number): void {
    const key = `${task.queue} ${task.type} ${outcome}`
    const entry = this.outcomeCounts.get(key)
    if (entry) entry.value++
    else this.outcomeCounts.set(key, { attributes: { queue: task.queue, type: task.type, outcome }, value: 1 })
    if (outcome !== 'cancelled') this.duration.record(seconds, key, () => ({ queue: task.queue, type: task.type, outcome }))
  }

  waited(task: TaskMessage, ms: number): void {
    this.wait.record(Math.max(0, ms) / 1000, `${task.queue} ${task.priority}`, () => ({ queue: task.queue, priority: task.priority }))
  }
}
