import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { cacheInvalidatorTarget } from '@latchkey/cache-invalidator'
import { permissionTarget } from '@latchkey/permission'
import { taskWorkerTarget } from '@latchkey/task-worker'
import { freePort, jsonClient, startAlertmanager, startPrometheus } from '@latchkey/testing'
import t from 'tap'
import { dashboardSeries } from '../src/dashboard/dashboard-series.ts'
import { grafanaDashboard } from '../src/dashboard/grafana-dashboard.ts'
import { loadRulesFile } from '../src/rules/load-rules.ts'
import { renderPrometheusRules } from '../src/rules/prometheus-rule-file.ts'
import { toPromQL } from '../src/rules/promql.ts'
import { metricsOf } from '../src/rules/signal-metrics.ts'
import { eventually, startMonitorApp } from './helpers.ts'

const run = promisify(execFile)
const chartRulesPath = new URL('../../../charts/latchkey/files/prometheus-rules.yaml', import.meta.url)

// Series that exist only once their first event happened (or in a service not running here).
const seriesAfterFirstEvent: Record<string, string> = {
  latchkey_db_slow_queries_total: 'the first slow query',
  latchkey_http_slow_requests_total: 'the first slow request',
  latchkey_scheduler_ticks_missed_total: 'the scheduler service',
  latchkey_scheduler_fire_delay_seconds_bucket: 'the scheduler service',
  latchkey_monitor_alertmanager_up: 'ALERTMANAGER_URL set',
}

t.test("the chart's PrometheusRule body is rendered from the current rules file", async (t) => {
  t.equal(readFileSync(chartRulesPath, 'utf8'), renderPrometheusRules(loadRulesFile()), 'up to date (npm run render:monitoring)')
})

t.test('promtool accepts it as a rules file', async (t) => {
  const { stdout } = await run('promtool', ['check', 'rules', new URL(chartRulesPath).pathname])
  t.match(stdout, new RegExp(`SUCCESS: ${loadRulesFile().rules.filter((r) => r.enabled).length} rules found`))
})

t.test('a real Prometheus scraping the services evaluates the same rules and alerts through Alertmanager', async (t) => {
  const alertmanager = await startAlertmanager(t)
  const { url } = await startMonitorApp(t, { TASK_QUEUES: 'system' }, { registry: { permission: permissionTarget, 'cache-invalidator': cacheInvalidatorTarget, 'task-worker': taskWorkerTarget } })
  const deadTarget = `http://127.0.0.1:${await freePort()}`
  // As operators would tune them: one rule that breaches on any host, one that sees the dead target at once.
  const rules = renderPrometheusRules(loadRulesFile(), { high_memory_usage: { threshold: 0, for: '0s' }, scrape_target_down: { for: '0s' } })
  const prometheus = await startPrometheus(t, { targets: [url, deadTarget], rules, alertmanagerUrl: alertmanager.url })

  const client = jsonClient(url)
  await client.post('/v1/permissions', { key: 'deals.view' })
  await client.post('/v1/orgs', { slug: 'acme', name: 'Acme' })
  await client.put('/v1/users/ann', { email: 'ann@example.com' })
  await client.post('/v1/orgs/acme/roles', { name: 'viewer', permissions: ['deals.view'] })
  await client.put('/v1/orgs/acme/members/ann', { roles: ['viewer'] })
  await client.post('/v1/check', { org: 'acme', user: 'ann', permission: 'deals.view' })
  await client.post('/v1/tasks', { queue: 'system', type: 'system.echo', payload: { failTimes: 1 }, maxAttempts: 1 })

  const down = await eventually('scrape_target_down from Prometheus', async () => (await alertmanager.alerts()).find((a) => a.labels.alertname === 'scrape_target_down'), 30_000)
  t.equal(down.labels.instance, new URL(deadTarget).host)
  t.match(down.annotations, { summary: `${new URL(deadTarget).host} does not answer its /metrics`, runbook_url: /docs\/monitor\.md#scrape_target_down$/ })
  const memory = await eventually('high_memory_usage from Prometheus', async () => (await alertmanager.alerts()).find((a) => a.labels.alertname === 'high_memory_usage'), 30_000)
  t.equal(memory.labels.instance, new URL(url).host, 'about the process Prometheus scraped')

  // Every metric a rule or a dashboard figure reads is exported under that name.
  const signals = [...loadRulesFile().rules.map((r) => r.signal), ...dashboardSeries.map((s) => s.signal)]
  const names = [...new Set(signals.flatMap(metricsOf))].filter((name) => !(name in seriesAfterFirstEvent))
  await eventually('every series scraped', async () => {
    const present = await Promise.all(names.map(async (name) => (await prometheus.query(`count(${name})`)).length > 0))
    return present.every(Boolean) ? true : undefined
  }, 20_000).then(() => t.pass(`all ${names.length} metrics the rules and the dashboard read are scraped`), async () => {
    const missing = []
    for (const name of names) if ((await prometheus.query(`count(${name})`)).length === 0) missing.push(name)
    t.same(missing, [], 'metrics the rules read but Prometheus never saw')
  })
  // And every expression is valid PromQL that Prometheus evaluates.
  for (const signal of signals) {
    const result = await prometheus.query(toPromQL(signal)).then(() => 'ok', (err: Error) => err.message)
    t.equal(result, 'ok', toPromQL(signal))
  }
})

t.test('the Grafana dashboard under deploy/ is rendered from the same figures', async (t) => {
  const committed = JSON.parse(readFileSync(new URL('../../../deploy/grafana/latchkey-dashboard.json', import.meta.url), 'utf8'))
  t.same(committed, grafanaDashboard(), 'up to date (npm run render:monitoring)')
  const expressions = committed.panels.flatMap((panel: { targets: Array<{ expr: string }> }) => panel.targets.map((target) => target.expr))
  for (const series of dashboardSeries) t.ok(expressions.includes(toPromQL(series.signal)), `${series.id} has a panel`)
})
