import type { Log } from '@latchkey/logger'
import type { Metrics } from '@latchkey/telemetry'
import { parseExposition } from './exposition.ts'
import type { ScrapeHistory } from './scrape-history.ts'
import type { ScrapeTarget } from './scrape-target.ts'

export interface ScraperOptions {
  history: ScrapeHistory
  /** The targets to read now (a static list, or Kubernetes' endpoints at the time). */
  discover: () => Promise<ScrapeTarget[]>
  /** How often `discover` is asked again (its answer is kept in between). */
  rediscoverMs: number
  /** The metric names the rules and the dashboard read; the rest of each scrape is dropped at once. */
  wanted: (name: string) => boolean
  timeoutMs: number
  metrics: Metrics
  log: Log
}

/**
 * Reads every target's `/metrics` once per round, all at once, each within the timeout. An
 * unreachable target is recorded as `up 0` (the `scrape_target_down` rule) and logged once when it
 * goes down and once when it is back; a failing discovery keeps the last known targets.
 */
export class Scraper {
  private targets: ScrapeTarget[] = []
  private discoveredAt = -Infinity
  private readonly down = new Set<string>()
  private readonly durations

  constructor(private readonly options: ScraperOptions) {
    const { meter } = options.metrics
    this.durations = options.metrics.keyedHistogram('latchkey_monitor_scrape_duration_seconds', {
      unit: 's',
      description: "Time to read and parse one target's /metrics",
      boundaries: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    })
    meter.createObservableGauge('latchkey_monitor_targets', { description: 'Scrape targets by state (up: answered its last scrape)' }).addCallback((result) => {
      result.observe(this.targets.length - this.down.size, { state: 'up' })
      result.observe(this.down.size, { state: 'down' })
    })
  }

  watched(): Array<{ instance: string; up: boolean }> {
    return this.targets.map((t) => ({ instance: t.instance, up: !this.down.has(t.instance) }))
  }

  async round(now: number): Promise<void> {
    await this.refreshTargets(now)
    await Promise.all(this.targets.map((target) => this.scrape(target, now)))
  }

  private async refreshTargets(now: number): Promise<void> {
    if (now - this.discoveredAt < this.options.rediscoverMs) return
    this.discoveredAt = now
    try {
      this.targets = await this.options.discover()
      this.options.history.retain(new Set(this.targets.map((t) => t.instance)))
      for (const instance of this.down) if (!this.targets.some((t) => t.instance === instance)) this.down.delete(instance)
    } catch (err) {
      this.options.log.warn({ err: { message: (err as Error).message }, kept: this.targets.length }, 'monitor: target discovery failed; keeping the last targets')
    }
  }

  private async scrape(target: ScrapeTarget, now: number): Promise<void> {
    const started = performance.now()
    try {
      const samples = parseExposition(await target.read(this.options.timeoutMs), this.options.wanted)
      this.options.history.add(target.instance, { at: now, ok: true, samples })
      if (this.down.delete(target.instance)) this.options.log.info({ instance: target.instance }, 'monitor: target answers again')
    } catch (err) {
      this.options.history.add(target.instance, { at: now, ok: false, samples: [] })
      if (!this.down.has(target.instance)) this.options.log.warn({ instance: target.instance, err: { message: (err as Error).message } }, 'monitor: target does not answer')
      this.down.add(target.instance)
    }
    this.durations.record((performance.now() - started) / 1000, target.instance, () => ({ instance: target.instance }))
  }
}
