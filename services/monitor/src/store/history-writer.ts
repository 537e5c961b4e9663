import type { Log } from '@latchkey/logger'
import type { Alert } from '../engine/alert-tracker.ts'
import type { MonitorStore } from './monitor-store.ts'

type Operation =
  | { kind: 'start'; alert: Alert; threshold: number }
  | { kind: 'update'; alert: Alert; endedAt?: number }

/** Writes waiting while PostgreSQL is down; beyond this the oldest are dropped (and logged). */
const maxWaiting = 10_000

/**
 * Records alert episodes in PostgreSQL in the order they happened, without ever holding up an
 * evaluation round: while the database is unreachable the writes wait and are retried on the
 * next round, so alerting (and Alertmanager) keep working through a database outage.
 */
export class HistoryWriter {
  private readonly waiting: Operation[] = []
  private flushing: Promise<void> | undefined

  constructor(
    private readonly store: MonitorStore,
    private readonly log: Log,
  ) {}

  started(alert: Alert, threshold: number): void {
    this.push({ kind: 'start', alert, threshold })
  }

  changed(alert: Alert, endedAt?: number): void {
    this.push({ kind: 'update', alert, endedAt })
  }

  get backlog(): number {
    return this.waiting.length
  }

  /** Writes what waits, in order; stops at the first failure (the rest waits for the next call). */
  flush(): Promise<void> {
    this.flushing ??= this.writeAll().finally(() => (this.flushing = undefined))
    return this.flushing
  }

  private push(operation: Operation): void {
    this.waiting.push(operation)
    if (this.waiting.length > maxWaiting) {
      this.waiting.shift()
      this.log.warn({ maxWaiting }, 'alert history: PostgreSQL has been unreachable too long; the oldest episode change is dropped')
    }
  }

  private async writeAll(): Promise<void> {
    while (this.waiting.length > 0) {
      const operation = this.waiting[0]!
      try {
        if (operation.kind === 'start') {
          operation.alert.episodeId = await this.store.startEpisode(operation.alert, operation.threshold)
        } else if (operation.alert.episodeId !== undefined) {
          await this.store.updateEpisode(operation.alert.episodeId, { peak: operation.alert.peak, last: operation.alert.value, endedAt: operation.endedAt })
        }
      } catch (err) {
        this.log.warn({ err: { message: (err as Error).message }, waiting: this.waiting.length }, 'alert history: write failed; retrying next round')
        return
      }
      this.waiting.shift()
    }
  }
}
