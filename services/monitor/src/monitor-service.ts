import { hostname } from 'node:os'
import { readFileSync } from 'node:fs'
import fp from 'fastify-plugin'
import { parseDuration } from '@latchkey/config'
import type {} from '@latchkey/db'
import type { HttpServer } from '@latchkey/http'
import { AlertmanagerNotifier } from './alertmanager/alertmanager-notifier.ts'
import type { MonitorConfig } from './config.ts'
import type { MonitorContext } from './context.ts'
import { dashboardSeries } from './dashboard/dashboard-series.ts'
import { MonitorEngine } from './engine/monitor-engine.ts'
import { alertRoutes } from './http/alert-routes.ts'
import { dashboardRoutes } from './http/dashboard-routes.ts'
import { loadRulesFile } from './rules/load-rules.ts'
import type { Signal } from './rules/rule-schema.ts'
import { metricsOf } from './rules/signal-metrics.ts'
import { ScrapeHistory } from './scrape/scrape-history.ts'
import { staticTargets, type ScrapeTarget } from './scrape/scrape-target.ts'
import { Scraper } from './scrape/scraper.ts'
import { HistoryWriter } from './store/history-writer.ts'
import { MonitorStore } from './store/monitor-store.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** The monitor of this process: its rules engine, scraper and store. */
    monitor: MonitorContext
  }
}

/** Kubernetes' endpoints are listed again this often; a static list is read once. */
const REDISCOVER_MS = 30_000

const longestWindowMs = (signals: Signal[]) => Math.max(...signals.map((s) => ('window' in s ? parseDuration(s.window) : 0)))

/**
 * The monitor: reads every service's `/metrics` (this process's own through its registry, the
 * others over HTTP, found in a static list or through Kubernetes), evaluates the alert rules,
 * sends alerts to Alertmanager, keeps their history in PostgreSQL and serves the dashboard.
 */
export const monitorService = fp<{ config: MonitorConfig }>(
  async (fastify, { config }) => {
    const rulesFile = loadRulesFile()
    const signals = [...rulesFile.rules.map((r) => r.signal), ...dashboardSeries.map((s) => s.signal)]
    const wanted = new Set(signals.flatMap(metricsOf))
    const intervalMs = parseDuration(config.MONITOR_SCRAPE_INTERVAL)
    const history = new ScrapeHistory(longestWindowMs(signals) + 2 * intervalMs)

    const self: ScrapeTarget = {
      instance: hostname(),
      read: async () => (await fastify.inject({ method: 'GET', url: '/metrics' })).body,
    }
    // The Kubernetes client is loaded only where it is used (it is large: tens of MiB resident).
    const discoverOthers =
      config.MONITOR_DISCOVERY === 'kubernetes'
        ? (await import('./scrape/kubernetes-targets.ts')).kubernetesDiscovery({
            namespace: config.MONITOR_K8S_NAMESPACE ?? inClusterNamespace(),
            labelSelector: config.MONITOR_K8S_LABEL_SELECTOR,
            portName: config.MONITOR_K8S_PORT_NAME,
          })
        : async () => staticTargets(config.MONITOR_TARGETS)
    const discover = async () => {
      const targets = new Map<string, ScrapeTarget>((await discoverOthers()).map((t) => [t.instance, t]))
      if (config.MONITOR_SELF) targets.set(self.instance, self)
      return [...targets.values()]
    }
    const scraper = new Scraper({
      history,
      discover,
      rediscoverMs: config.MONITOR_DISCOVERY === 'kubernetes' ? REDISCOVER_MS : Infinity,
      wanted: (name) => wanted.has(name),
      timeoutMs: parseDuration(config.MONITOR_SCRAPE_TIMEOUT),
      metrics: fastify.metrics,
      log: fastify.log,
    })
    const store = new MonitorStore(fastify.db)
    const writer = new HistoryWriter(store, fastify.log)
    const notifier = config.ALERTMANAGER_URL
      ? new AlertmanagerNotifier({
          url: config.ALERTMANAGER_URL,
          resendMs: parseDuration(config.MONITOR_RESEND_INTERVAL),
          timeoutMs: Math.min(5_000, intervalMs),
          runbookBaseUrl: rulesFile.runbookBaseUrl,
          log: fastify.log,
        })
      : undefined
    const engine = new MonitorEngine({
      definitions: rulesFile.rules,
      history,
      scraper,
      store,
      writer,
      notifier,
      intervalMs,
      sampleIntervalMs: parseDuration(config.MONITOR_SAMPLE_INTERVAL),
      liveWindowMs: parseDuration(config.MONITOR_LIVE_WINDOW),
      log: fastify.log,
    })
    observeMonitor(fastify, engine, writer, notifier)

    const context: MonitorContext = { definitions: rulesFile.rules, engine, scraper, store, log: fastify.log }
    fastify.decorate('monitor', context)
    const server = fastify as unknown as HttpServer
    alertRoutes(server, context)
    await dashboardRoutes(server, context)

    fastify.addHook('onReady', async () => {
      await engine.reloadOverrides().catch(() => {})
      await engine.start()
      fastify.log.info({ rules: rulesFile.rules.length, alertmanager: config.ALERTMANAGER_URL ?? null, discovery: config.MONITOR_DISCOVERY }, 'monitor started')
    })
    fastify.addHook('onClose', async () => {
      await engine.stop()
      await writer.flush()
    })
  },
  { name: 'monitor-service', dependencies: ['database'] },
)

/** The monitor's own health on its /metrics: alerts by state, Alertmanager delivery, history writes waiting. */
function observeMonitor(fastify: { metrics: HttpServer['metrics'] }, engine: MonitorEngine, writer: HistoryWriter, notifier: AlertmanagerNotifier | undefined): void {
  const { meter } = fastify.metrics
  meter.createObservableGauge('latchkey_monitor_alerts', { description: 'Alerts by state (firing, pending, suppressed) and severity' }).addCallback((result) => {
    const counts = new Map<string, number>()
    for (const alert of engine.tracker.list()) counts.set(`${alert.state} ${alert.severity}`, (counts.get(`${alert.state} ${alert.severity}`) ?? 0) + 1)
    for (const [key, count] of counts) {
      const [state, severity] = key.split(' ')
      result.observe(count, { state, severity })
    }
  })
  meter.createObservableGauge('latchkey_monitor_history_backlog', { description: 'Alert episode writes waiting for PostgreSQL' }).addCallback((result) => result.observe(writer.backlog))
  if (notifier) {
    meter.createObservableGauge('latchkey_monitor_alertmanager_up', { description: "1 when Alertmanager took the monitor's last delivery, 0 when it failed" }).addCallback((result) => {
      if (notifier.up !== undefined) result.observe(notifier.up ? 1 : 0)
    })
  }
}

function inClusterNamespace(): string {
  try {
    return readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/namespace', 'utf8').trim()
  } catch {
    return 'default'
  }
}
