import type { Metrics } from './metrics.ts'
import { KeyedCounter } from './keyed-counter.ts'
import type { KeyedHistogram } from './keyed-histogram.ts'

const delayBuckets = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300]

/**
 * The scheduler's instruments, defined here because the monitor's rules and dashboard read them
 * by name: `latchkey_scheduler_fire_delay_seconds` (from a tick's scheduled time to its task's
 * enqueue, by schedule) and `latchkey_scheduler_missed_ticks_total` (ticks skipped because
 * they were missed beyond the catch-up window, by schedule).
 */
export class ScheduleMetrics {
  private readonly delay: KeyedHistogram
  private readonly missed = new KeyedCounter()

  constructor(metrics: Metrics) {
    this.delay = metrics.keyedHistogram('latchkey_scheduler_fire_delay_seconds', { unit: 's', description: "Time from a tick's scheduled time to the enqueue of its task", boundaries: delayBuckets })
    metrics.meter
      .createObservableCounter('latchkey_scheduler_missed_ticks', { description: 'Ticks skipped because they were missed beyond the catch-up window' })
      .addCallback((result) => this.missed.observe(result))
  }

  fired(schedule: string, delaySeconds: number): void {
    this.delay.record(Math.max(0, delaySeconds), schedule, () => ({ schedule }))
  }

  missedTicks(schedule: string, count: number): void {
    if (count > 0) this.missed.add(schedule, () => ({ schedule }), count)
  }
}
