import { createTestDatabase, jsonClient } from '@latchkey/testing'
import t from 'tap'
import { startMonitorApp } from './helpers.ts'

const replacedSystemRules = ['high_cpu_usage', 'high_memory_usage', 'low_disk_space', 'high_slow_query_rate', 'high_api_error_rate', 'database_connection_issues']

t.test('GET /v1/alert-rules lists every rule in the contract shape, the six of the replaced system among them', async (t) => {
  const { url } = await startMonitorApp(t)
  const { status, body } = await jsonClient(url).get('/v1/alert-rules')
  t.equal(status, 200)
  const names = body.items.map((rule: { name: string }) => rule.name)
  for (const name of [...replacedSystemRules, 'low_cache_hit_ratio', 'slow_invalidation', 'queue_backlog_growing', 'dead_letters_appearing', 'missed_schedule_ticks']) {
    t.ok(names.includes(name), `${name} is a rule`)
  }
  const cpu = body.items.find((rule: { name: string }) => rule.name === 'high_cpu_usage')
  t.same(cpu, { name: 'high_cpu_usage', description: cpu.description, threshold: 80, for: '5m', cooldown: '15m', maxPerHour: 4, severity: 'warning', enabled: true })
  t.same(Object.keys(cpu).sort(), ['cooldown', 'description', 'enabled', 'for', 'maxPerHour', 'name', 'severity', 'threshold'])
})

t.test('PUT /v1/alert-rules/:name changes a rule at run time; the change survives a restart', async (t) => {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const first = await startMonitorApp(t, {}, { databaseUrl: database.url })
  const changed = await jsonClient(first.url).put('/v1/alert-rules/high_memory_usage', { threshold: 65.5, for: '30s', cooldown: '2m', maxPerHour: 10, enabled: false })
  t.equal(changed.status, 200)
  t.same(changed.body, { ...changed.body, name: 'high_memory_usage', threshold: 65.5, for: '30s', cooldown: '2m', maxPerHour: 10, enabled: false })
  const partial = await jsonClient(first.url).put('/v1/alert-rules/high_memory_usage', { enabled: true })
  t.same({ threshold: partial.body.threshold, enabled: partial.body.enabled }, { threshold: 65.5, enabled: true }, 'a partial change keeps the earlier ones')
  await first.close()

  const second = await startMonitorApp(t, {}, { databaseUrl: database.url })
  const { body } = await jsonClient(second.url).get('/v1/alert-rules')
  const rule = body.items.find((r: { name: string }) => r.name === 'high_memory_usage')
  t.same(rule, { ...rule, threshold: 65.5, for: '30s', cooldown: '2m', maxPerHour: 10, enabled: true })
})

t.test('bad changes are refused with a 4xx and an LK_ code, and the rule stays as it was', async (t) => {
  const { url } = await startMonitorApp(t)
  const client = jsonClient(url)
  const before = (await client.get('/v1/alert-rules')).body
  const cases: Array<[string, string, unknown, number, string]> = [
    ['an unknown rule', 'no_such_rule', { threshold: 1 }, 404, 'LK_ERR_ALERT_RULE_NOT_FOUND'],
    ['a negative threshold', 'high_cpu_usage', { threshold: -1 }, 400, 'LK_ERR_VALIDATION'],
    ['a percentage above 100', 'high_cpu_usage', { threshold: 150 }, 400, 'LK_ERR_VALIDATION'],
    ['an unparseable for', 'high_cpu_usage', { for: 'soon' }, 400, 'LK_ERR_VALIDATION'],
    ['an unparseable cooldown', 'high_cpu_usage', { cooldown: '5 minutes' }, 400, 'LK_ERR_VALIDATION'],
    ['a threshold that is not a number', 'high_cpu_usage', { threshold: '90' }, 400, 'LK_ERR_VALIDATION'],
    ['a zero frequency limit', 'high_cpu_usage', { maxPerHour: 0 }, 400, 'LK_ERR_VALIDATION'],
    ['nothing to change', 'high_cpu_usage', {}, 400, 'LK_ERR_VALIDATION'],
    ['an invalid rule name', 'High-CPU', { threshold: 1 }, 400, 'LK_ERR_VALIDATION'],
  ]
  for (const [what, name, body, status, code] of cases) {
    const response = await client.put(`/v1/alert-rules/${name}`, body)
    t.equal(response.status, status, `${what}: ${status}`)
    t.equal(response.body.code, code, `${what}: ${code}`)
  }
  t.same((await client.get('/v1/alert-rules')).body, before, 'no rule changed')
})

t.test('GET /v1/alerts/history refuses a bad query with a 400', async (t) => {
  const { url } = await startMonitorApp(t)
  for (const query of ['limit=0', 'limit=abc', 'before=yesterday']) {
    const response = await jsonClient(url).get(`/v1/alerts/history?${query}`)
    t.equal(response.status, 400, query)
    t.equal(response.body.code, 'LK_ERR_VALIDATION', query)
  }
  t.same((await jsonClient(url).get('/v1/alerts/history')).body, { items: [] })
})

t.test('the dashboard page and its assets are served by the monitor; an unknown asset is a 404 with an LK_ code', async (t) => {
  const { url } = await startMonitorApp(t)
  const page = await fetch(`${url}/dashboard`)
  t.equal(page.status, 200)
  t.match(page.headers.get('content-type'), /^text\/html/)
  for (const asset of ['dashboard.js', 'dashboard.css', 'uplot.js', 'uplot.css']) t.equal((await fetch(`${url}/dashboard/assets/${asset}`)).status, 200, asset)
  const missing = await jsonClient(url).get('/dashboard/assets/nothing.js')
  t.same({ status: missing.status, code: missing.body.code }, { status: 404, code: 'LK_ERR_ROUTE_NOT_FOUND' })
})
