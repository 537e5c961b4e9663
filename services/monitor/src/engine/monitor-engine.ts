import type { Log } from '@latchkey/logger'
import type { AlertmanagerNotifier } from '../alertmanager/alertmanager-notifier.ts'
import { dashboardSeries } from '../dashboard/dashboard-series.ts'
import { applyOverride, type EffectiveRule, type RuleOverride } from '../rules/effective-rules.ts'
import type { RuleDefinition } from '../rules/rule-schema.ts'
import type { ScrapeHistory } from '../scrape/scrape-history.ts'
import { seriesKey } from '../scrape/scrape-history.ts'
import type { Scraper } from '../scrape/scraper.ts'
import type { HistoryWriter } from '../store/history-writer.ts'
import type { MonitorStore } from '../store/monitor-store.ts'
import { AlertTracker, type Alert } from './alert-tracker.ts'
import { evaluateSignal, type SignalValue } from './evaluate-signal.ts'

export interface MonitorEngineOptions {
  definitions: RuleDefinition[]
  history: ScrapeHistory
  scraper: Scraper
  store: MonitorStore
  writer: HistoryWriter
  notifier?: AlertmanagerNotifier
  intervalMs: number
  sampleIntervalMs: number
  /** How long the live charts reach back (kept in memory). */
  liveWindowMs: number
  log: Log
}

export interface LivePoint {
  at: number
  values: Record<string, SignalValue[]>
}

/**
 * The monitor's round, every `intervalMs`: scrape every target, evaluate every rule against the
 * scrapes, advance the alerts, record episodes, deliver to Alertmanager, and compute the
 * dashboard's figures (kept in memory for the live charts, written to PostgreSQL every
 * `sampleIntervalMs` for the hourly trends). A round never throws: each dependency's failure is
 * logged and reported by its own rule.
 */
export class MonitorEngine {
  readonly tracker = new AlertTracker()
  private overrides = new Map<string, RuleOverride>()
  private readonly live: LivePoint[] = []
  private lastSampleAt = -Infinity
  private timer: NodeJS.Timeout | undefined
  private running: Promise<void> | undefined
  private stopped = false

  constructor(private readonly options: MonitorEngineOptions) {}

  rules(): EffectiveRule[] {
    return this.options.definitions.map((definition) => applyOverride(definition, this.overrides.get(definition.name)))
  }

  /** The figures of the newest round, and those of earlier rounds for the live charts. */
  livePoints(): LivePoint[] {
    return this.live
  }

  /** Reads the stored rule changes now (after a PUT), instead of at the next round. */
  async reloadOverrides(): Promise<void> {
    this.overrides = await this.options.store.overrides()
  }

  async start(): Promise<void> {
    const now = Date.now()
    const rows = await this.options.store.episodesToRestore(now).catch((err: Error) => {
      this.options.log.warn({ err: { message: err.message } }, 'monitor: alert history unreadable at start; cooldowns start empty')
      return []
    })
    const known = new Set(this.options.definitions.map((d) => d.name))
    const open: Alert[] = rows
      // An episode of a rule since removed from the rules file can never resolve: it stays as recorded.
      .filter((row) => row.endedAt === null && known.has(row.rule))
      .map((row) => ({
        rule: row.rule,
        severity: row.severity as Alert['severity'],
        labels: row.labels,
        fingerprint: row.fingerprint,
        state: 'firing',
        since: Date.parse(row.startedAt),
        breachedAt: Date.parse(row.startedAt),
        value: row.lastValue,
        peak: row.peakValue,
        episodeId: BigInt(row.id),
      }))
    this.tracker.restore(open, rows.map((row) => ({ rule: row.rule, fingerprint: row.fingerprint, startedAt: Date.parse(row.startedAt), endedAt: row.endedAt === null ? undefined : Date.parse(row.endedAt) })))
    this.schedule(0)
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.running
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      const started = Date.now()
      this.running = this.round(started).finally(() => this.schedule(Math.max(0, this.options.intervalMs - (Date.now() - started))))
    }, delayMs)
  }

  /** One round (exposed for tests that step time themselves). */
  async round(now: number): Promise<void> {
    try {
      await this.options.scraper.round(now)
      await this.reloadOverrides().catch((err: Error) => this.options.log.debug({ err: { message: err.message } }, 'monitor: rule changes unreadable; using the last ones'))
      const rules = this.rules()
      const byName = new Map(rules.map((rule) => [rule.name, rule]))
      let changed = false
      const resolved: Alert[] = []
      for (const rule of rules) {
        const transitions = this.tracker.advance(rule, evaluateSignal(rule.signal, this.options.history, now), now)
        for (const alert of transitions.fired) this.options.writer.started(alert, rule.threshold)
        for (const alert of transitions.worsened) this.options.writer.changed(alert)
        for (const alert of transitions.resolved) this.options.writer.changed(alert, alert.endedAt)
        changed ||= transitions.fired.length > 0 || transitions.resolved.length > 0
        resolved.push(...transitions.resolved)
        for (const alert of transitions.fired) this.options.log.warn({ rule: rule.name, labels: alert.labels, value: alert.value }, 'alert firing')
        for (const alert of transitions.resolved) this.options.log.info({ rule: rule.name, labels: alert.labels, peak: alert.peak }, 'alert resolved')
      }
      const withRule = (alert: Alert) => ({ alert, rule: byName.get(alert.rule)! })
      await Promise.all([
        this.options.writer.flush(),
        this.options.notifier?.deliver(now, this.tracker.firing().filter((a) => byName.has(a.rule)).map(withRule), resolved.map(withRule), changed),
      ])
      await this.recordFigures(now)
    } catch (err) {
      this.options.log.error({ err }, 'monitor: round failed')
    }
  }

  private async recordFigures(now: number): Promise<void> {
    const values: Record<string, SignalValue[]> = {}
    for (const series of dashboardSeries) values[series.id] = evaluateSignal(series.signal, this.options.history, now)
    this.live.push({ at: now, values })
    while (this.live.length > 0 && this.live[0]!.at < now - this.options.liveWindowMs) this.live.shift()
    if (now - this.lastSampleAt < this.options.sampleIntervalMs) return
    this.lastSampleAt = now
    const rows = Object.entries(values).flatMap(([metric, list]) => list.filter((v) => Number.isFinite(v.value)).map((v) => ({ series: seriesKey(metric, v.labels), metric, labels: v.labels, value: v.value })))
    await this.options.store.insertSamples(new Date(now), rows).catch((err: Error) => this.options.log.warn({ err: { message: err.message } }, 'monitor: trend samples not written'))
  }
}
