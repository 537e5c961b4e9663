import { KeyedCounter, type Metrics, type KeyedHistogram } from '@latchkey/telemetry'
import type { TaskMessage } from '@latchkey/tasks-client'

const secondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300]

type Outcome = 'succeeded' | 'failed' | 'dead' | 'cancelled'

/**
 * The task worker's instruments (Prometheus names: counters get `_total` from the exporter).
 * Recorded once or twice per task on the hot path, so they are keyed: a record is a map lookup
 * (the SDK's instruments hash their attributes on every call); counters are KeyedCounters, read
 * by observable counters when Prometheus scrapes.
 */
export class TaskMetrics {
  private readonly enqueuedCounts = new KeyedCounter()
  private readonly outcomeCounts = new KeyedCounter()
  private readonly duration: KeyedHistogram
  private readonly wait: KeyedHistogram

  constructor(metrics: Metrics) {
    const { meter } = metrics
    meter.createObservableCounter('latchkey_tasks_enqueued', { description: 'Tasks enqueued, by queue and priority' }).addCallback((result) => this.enqueuedCounts.observe(result))
    meter
      .createObservableCounter('latchkey_tasks_outcomes', {
        description: 'Attempts by outcome: succeeded, failed (will retry), dead (attempts spent or rejected), cancelled (dropped before it ran)',
      })
      .addCallback((result) => this.outcomeCounts.observe(result))
    this.duration = metrics.keyedHistogram('latchkey_tasks_duration_seconds', { unit: 's', description: 'Time an attempt ran, by queue, type and outcome', boundaries: secondsBuckets })
    this.wait = metrics.keyedHistogram('latchkey_tasks_wait_seconds', {
      unit: 's',
      description: "Time from a task's enqueue (a delayed one: its enqueue, delay included) to the start of its first attempt",
      boundaries: secondsBuckets,
    })
  }

  enqueued(tasks: TaskMessage[]): void {
    for (const task of tasks) this.enqueuedCounts.add(`${task.queue} ${task.priority}`, () => ({ queue: task.queue, priority: task.priority }))
  }

  outcome(task: TaskMessage, outcome: Outcome, seconds: number): void {
    const key = `${task.queue} ${task.type} ${outcome}`
    this.outcomeCounts.add(key, () => ({ queue: task.queue, type: task.type, outcome }))
    if (outcome !== 'cancelled') this.duration.record(seconds, key, () => ({ queue: task.queue, type: task.type, outcome }))
  }

  waited(task: TaskMessage, ms: number): void {
    this.wait.record(Math.max(0, ms) / 1000, `${task.queue} ${task.priority}`, () => ({ queue: task.queue, priority: task.priority }))
  }
}
