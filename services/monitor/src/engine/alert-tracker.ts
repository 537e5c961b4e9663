import { seriesKey } from '../scrape/scrape-history.ts'
import type { EffectiveRule } from '../rules/effective-rules.ts'
import type { SignalValue } from './evaluate-signal.ts'

export type AlertState = 'pending' | 'firing' | 'suppressed'

/** One rule's alert for one combination of labels, from its first breach until it resolves. */
export interface Alert {
  rule: string
  severity: EffectiveRule['severity']
  labels: Record<string, string>
  fingerprint: string
  state: AlertState
  /** When the condition first held (pending, suppressed) or when the alert fired (firing). */
  since: number
  breachedAt: number
  value: number
  /** The worst value while firing: the highest for a `>` rule, the lowest for a `<` rule. */
  peak: number
  /** Why a breach is held back: the rule's cooldown or its hourly limit. */
  suppressedBy?: 'cooldown' | 'maxPerHour'
  /** Set by the history writer once the episode's row exists. */
  episodeId?: bigint
  /** Set when a firing alert resolves. */
  endedAt?: number
}

export interface Transitions {
  fired: Alert[]
  resolved: Alert[]
  /** Firing alerts whose peak moved this round. */
  worsened: Alert[]
}

const breaches = (rule: EffectiveRule, value: number) => (rule.op === '>' ? value > rule.threshold : value < rule.threshold)
const worse = (rule: EffectiveRule, a: number, b: number) => (rule.op === '>' ? Math.max(a, b) : Math.min(a, b))

/**
 * The state of every alert, advanced once per evaluation round. A breach is `pending` until it
 * has held for the rule's `for`; it then fires unless the same alert resolved less than
 * `cooldown` ago or the rule already fired `maxPerHour` times in the last hour (both stop
 * flapping storms; the breach is then `suppressed` and fires as soon as they allow). An alert
 * whose condition no longer holds, or whose series disappeared, resolves.
 */
export class AlertTracker {
  private readonly alerts = new Map<string, Alert>()
  private readonly lastEnded = new Map<string, number>()
  private readonly firedAt = new Map<string, number[]>()

  /** Restores what the history says: alerts still firing, and the episodes that count for cooldowns and limits. */
  restore(open: Alert[], recent: Array<{ rule: string; fingerprint: string; startedAt: number; endedAt?: number }>): void {
    for (const alert of open) this.alerts.set(alert.fingerprint, alert)
    for (const episode of recent) {
      this.recordFire(episode.rule, episode.startedAt)
      if (episode.endedAt !== undefined) this.lastEnded.set(episode.fingerprint, Math.max(this.lastEnded.get(episode.fingerprint) ?? 0, episode.endedAt))
    }
  }

  list(): Alert[] {
    return [...this.alerts.values()]
  }

  firing(): Alert[] {
    return this.list().filter((alert) => alert.state === 'firing')
  }

  advance(rule: EffectiveRule, values: SignalValue[], now: number): Transitions {
    const transitions: Transitions = { fired: [], resolved: [], worsened: [] }
    const seen = new Set<string>()
    if (rule.enabled) {
      for (const { labels, value } of values) {
        if (!breaches(rule, value)) continue
        const fingerprint = seriesKey(rule.name, labels)
        seen.add(fingerprint)
        let alert = this.alerts.get(fingerprint)
        if (!alert) {
          alert = { rule: rule.name, severity: rule.severity, labels, fingerprint, state: 'pending', since: now, breachedAt: now, value, peak: value }
          this.alerts.set(fingerprint, alert)
        }
        alert.value = value
        alert.severity = rule.severity
        if (alert.state === 'firing') {
          const peak = worse(rule, alert.peak, value)
          if (peak !== alert.peak) {
            alert.peak = peak
            transitions.worsened.push(alert)
          }
        } else if (now - alert.breachedAt >= rule.forMs) {
          this.tryFire(rule, alert, now, transitions)
        }
      }
    }
    for (const alert of this.alerts.values()) {
      if (alert.rule !== rule.name || seen.has(alert.fingerprint)) continue
      this.alerts.delete(alert.fingerprint)
      if (alert.state === 'firing') {
        this.lastEnded.set(alert.fingerprint, now)
        alert.endedAt = now
        transitions.resolved.push(alert)
      }
    }
    return transitions
  }

  private tryFire(rule: EffectiveRule, alert: Alert, now: number, transitions: Transitions): void {
    const ended = this.lastEnded.get(alert.fingerprint)
    const recent = (this.firedAt.get(rule.name) ?? []).filter((at) => at > now - 3_600_000)
    this.firedAt.set(rule.name, recent)
    if (ended !== undefined && now - ended < rule.cooldownMs) {
      alert.state = 'suppressed'
      alert.suppressedBy = 'cooldown'
    } else if (recent.length >= rule.maxPerHour) {
      alert.state = 'suppressed'
      alert.suppressedBy = 'maxPerHour'
    } else {
      alert.state = 'firing'
      alert.suppressedBy = undefined
      alert.since = now
      alert.peak = alert.value
      this.recordFire(rule.name, now)
      transitions.fired.push(alert)
    }
  }

  private recordFire(rule: string, at: number): void {
    const times = this.firedAt.get(rule) ?? []
    times.push(at)
    this.firedAt.set(rule, times)
  }
}
