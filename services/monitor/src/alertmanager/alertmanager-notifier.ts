import type { Log } from '@latchkey/logger'
import type { Alert } from '../engine/alert-tracker.ts'
import type { EffectiveRule } from '../rules/effective-rules.ts'
import { postAlerts, toPostableAlert } from './alertmanager-client.ts'

/** A resolved alert is retried this long while Alertmanager is away; after that it resolves there by its own `endsAt`. */
const resolvedKeptMs = 3_600_000

/**
 * Delivers firing and resolved alerts to Alertmanager the way Prometheus does: every firing alert
 * again each `resendMs` (its `endsAt` a few resends ahead, so that Alertmanager resolves it by
 * itself should the monitor die), a new or resolved one at once. Grouping, repeat intervals and
 * receivers are Alertmanager's. A failed delivery is retried every round and reported through
 * `up` (the `alertmanager_unreachable` rule reads it); it never stops the monitor.
 */
export class AlertmanagerNotifier {
  /** Whether the last delivery succeeded; undefined before the first. */
  up: boolean | undefined
  private resolvedWaiting: Array<{ alert: Alert; rule: EffectiveRule }> = []
  private lastSentAt = 0

  constructor(
    private readonly options: { url: string; resendMs: number; timeoutMs: number; runbookBaseUrl: string; log: Log },
  ) {}

  async deliver(now: number, firing: Array<{ alert: Alert; rule: EffectiveRule }>, resolved: Array<{ alert: Alert; rule: EffectiveRule }>, changed: boolean): Promise<void> {
    this.resolvedWaiting.push(...resolved)
    this.resolvedWaiting = this.resolvedWaiting.filter(({ alert }) => (alert.endedAt ?? now) > now - resolvedKeptMs)
    const due = changed || this.resolvedWaiting.length > 0 || this.up !== true || now - this.lastSentAt >= this.options.resendMs
    if (!due) return
    const { runbookBaseUrl, resendMs } = this.options
    const alerts = [
      ...firing.map(({ alert, rule }) => toPostableAlert(alert, rule, runbookBaseUrl, now + 4 * resendMs)),
      ...this.resolvedWaiting.map(({ alert, rule }) => toPostableAlert(alert, rule, runbookBaseUrl, alert.endedAt ?? now)),
    ]
    try {
      await postAlerts(this.options.url, alerts, this.options.timeoutMs)
      if (this.up === false) this.options.log.info({ url: this.options.url }, 'Alertmanager takes alerts again')
      this.up = true
      this.lastSentAt = now
      this.resolvedWaiting = []
    } catch (err) {
      if (this.up !== false) this.options.log.warn({ url: this.options.url, err: { message: (err as Error).message } }, 'Alertmanager does not take alerts; retrying every round')
      this.up = false
    }
  }
}
