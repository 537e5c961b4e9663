import type { Counter, KeyedHistogram, Metrics } from '@latchkey/telemetry'

const delayBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600]

export type SkipReason = 'paused' | 'overlap' | 'invalid'

/** The scheduler's instruments (counters get `_total` from the exporter). */
export class SchedulerMetrics {
  private readonly delay: KeyedHistogram
  private readonly fired: Counter
  private readonly missed: Counter
  private readonly skipped: Counter

  constructor(metrics: Metrics, isLeader: () => boolean) {
    const { meter } = metrics
    this.delay = metrics.keyedHistogram('latchkey_scheduler_fire_delay_seconds', {
      unit: 's',
      description: 'Time from a tick to its task being enqueued, by schedule (late ticks fired after a failover included)',
      boundaries: delayBuckets,
    })
    this.fired = meter.createCounter('latchkey_scheduler_ticks_fired', { description: 'Ticks fired, by schedule and kind (tick, catch_up, trigger)' })
    this.missed = meter.createCounter('latchkey_scheduler_ticks_missed', { description: 'Ticks older than the catch-up window that were not fired (every replica was down), by schedule' })
    this.skipped = meter.createCounter('latchkey_scheduler_ticks_skipped', { description: 'Ticks skipped on purpose, by schedule and reason (paused, overlap, invalid)' })
    meter
      .createObservableGauge('latchkey_scheduler_leader', { description: '1 on the replica that fires ticks now (the leader), 0 on the others' })
      .addCallback((result) => result.observe(isLeader() ? 1 : 0))
  }

  recordFired(schedule: string, kind: string, delaySeconds: number): void {
    this.fired.add(1, { schedule, kind })
    if (kind !== 'trigger') this.delay.record(Math.max(0, delaySeconds), schedule, () => ({ schedule }))
  }

  recordMissed(schedule: string, count: number): void {
    if (count > 0) this.missed.add(count, { schedule })
  }

  recordSkipped(schedule: string, reason: SkipReason, count = 1): void {
    if (count > 0) this.skipped.add(count, { schedule, reason })
  }
}
