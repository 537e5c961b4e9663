import { createServer } from 'node:http'
import { freePort, jsonClient, startAlertmanager, startPrivatePostgres } from '@latchkey/testing'
import t from 'tap'
import { eventually, fireAndResolve, startMonitorApp } from './helpers.ts'

/** A process on `port` whose /metrics serves what `exposition()` says at the time. */
async function fakeTarget(t: { teardown(fn: () => unknown): void }, port: number, exposition: () => string) {
  const server = createServer((request, response) => {
    if (request.url === '/metrics') response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(exposition())
    else response.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  t.teardown(() => new Promise((resolve) => server.close(resolve)))
}

t.test('a target that does not answer is reported and alerted on, and resolves when it answers again', async (t) => {
  const alertmanager = await startAlertmanager(t)
  const deadPort = await freePort()
  const { url } = await startMonitorApp(t, { ALERTMANAGER_URL: alertmanager.url, MONITOR_TARGETS: `http://127.0.0.1:${deadPort}` })
  const client = jsonClient(url)
  await eventually('the dead target reported', async () => ((await client.get('/v1/monitor/targets')).body.items.some((i: { instance: string; up: boolean }) => i.instance === `127.0.0.1:${deadPort}` && !i.up) ? true : undefined))
  await fireAndResolve(t, {
    client,
    alertmanager,
    rule: 'scrape_target_down',
    breach: {},
    labels: { instance: `127.0.0.1:${deadPort}` },
    restore: () => fakeTarget(t, deadPort, () => 'latchkey_tasks_queue_depth{queue="auth",priority="high"} 0\n'),
  })
  t.same((await client.get('/v1/monitor/targets')).body.items.find((i: { instance: string }) => i.instance === `127.0.0.1:${deadPort}`), { instance: `127.0.0.1:${deadPort}`, up: true })
})

t.test('missed_schedule_ticks fires on the scheduler counter of a watched process', async (t) => {
  const alertmanager = await startAlertmanager(t)
  const port = await freePort()
  let missed = 0
  await fakeTarget(t, port, () => `# TYPE latchkey_scheduler_ticks_missed_total counter\nlatchkey_scheduler_ticks_missed_total{schedule="nightly-report"} ${missed}\n`)
  const { url } = await startMonitorApp(t, { ALERTMANAGER_URL: alertmanager.url, MONITOR_TARGETS: `http://127.0.0.1:${port}` })
  const client = jsonClient(url)
  await eventually('the target read', async () => ((await client.get('/v1/monitor/targets')).body.items.some((i: { up: boolean; instance: string }) => i.up && i.instance.endsWith(`:${port}`)) ? true : undefined))
  await fireAndResolve(t, {
    client,
    alertmanager,
    rule: 'missed_schedule_ticks',
    breach: { threshold: 0 },
    restore: { threshold: 100 },
    provoke: async () => (missed = 2),
    labels: { schedule: 'nightly-report' },
  })
})

t.test('an unreachable Alertmanager is itself alerted on; what fired meanwhile arrives once it is back', async (t) => {
  const port = await freePort()
  const { url } = await startMonitorApp(t, { ALERTMANAGER_URL: `http://127.0.0.1:${port}` })
  const client = jsonClient(url)
  await client.put('/v1/alert-rules/alertmanager_unreachable', { for: '0s', cooldown: '0s' })
  await client.put('/v1/alert-rules/high_memory_usage', { threshold: 0, for: '0s', cooldown: '0s' })
  const firing = await eventually('alertmanager_unreachable firing', async () => {
    const { body } = await client.get('/v1/alerts')
    const rules = body.items.filter((a: { state: string }) => a.state === 'firing').map((a: { rule: string }) => a.rule)
    return rules.includes('alertmanager_unreachable') && rules.includes('high_memory_usage') ? rules : undefined
  })
  t.ok(firing, 'both alerts fire while Alertmanager is away, and the monitor keeps answering')
  t.match((await fetch(`${url}/metrics`).then((r) => r.text())), /latchkey_monitor_alertmanager_up 0/)

  const alertmanager = await startAlertmanager(t, { port })
  await eventually('high_memory_usage delivered late', async () => (await alertmanager.alerts()).find((a) => a.labels.alertname === 'high_memory_usage'))
  await eventually('alertmanager_unreachable resolved', async () => {
    const { body } = await client.get('/v1/alerts/history?rule=alertmanager_unreachable')
    return body.items[0]?.endedAt ? true : undefined
  })
  await eventually('no active alertmanager_unreachable in Alertmanager', async () => ((await alertmanager.alerts()).some((a) => a.labels.alertname === 'alertmanager_unreachable') ? undefined : true))
})

t.test('a process that loses PostgreSQL raises database_connection_issues, and it resolves (and is recorded) when PostgreSQL is back', async (t) => {
  const postgres = await startPrivatePostgres(t)
  const alertmanager = await startAlertmanager(t)
  const { url } = await startMonitorApp(t, { ALERTMANAGER_URL: alertmanager.url, MIGRATE_ON_START: 'true' }, { databaseUrl: postgres.url })
  const client = jsonClient(url)
  await fireAndResolve(t, {
    client,
    alertmanager,
    rule: 'database_connection_issues',
    breach: {},
    provoke: async () => {
      await postgres.stop()
      const refused = await client.put('/v1/alert-rules/high_cpu_usage', { threshold: 50 })
      t.same({ status: refused.status, code: refused.body.code }, { status: 503, code: 'LK_ERR_UNAVAILABLE' }, 'a rule change without PostgreSQL is refused, not half done')
      t.equal((await client.get('/v1/alerts')).status, 200, 'the alerts still answer')
    },
    restore: () => postgres.start(),
  })
  t.equal((await client.get('/v1/alert-rules')).body.items.find((r: { name: string }) => r.name === 'high_cpu_usage').threshold, 80, 'the refused change changed nothing')
})

t.test('cooldown and the hourly limit hold back a rule that fires again', async (t) => {
  const alertmanager = await startAlertmanager(t)
  const { url } = await startMonitorApp(t, { ALERTMANAGER_URL: alertmanager.url })
  const client = jsonClient(url)
  const stateOf = async () => (await client.get('/v1/alerts')).body.items.find((a: { rule: string }) => a.rule === 'high_memory_usage')?.state
  const inAlertmanager = async () => (await alertmanager.alerts()).some((a) => a.labels.alertname === 'high_memory_usage')

  await client.put('/v1/alert-rules/high_memory_usage', { threshold: 0, for: '0s', cooldown: '1h', maxPerHour: 10 })
  await eventually('the first episode in Alertmanager', async () => ((await inAlertmanager()) ? true : undefined))
  await client.put('/v1/alert-rules/high_memory_usage', { threshold: 100 })
  await eventually('the first episode resolved', async () => ((await inAlertmanager()) ? undefined : true))

  await client.put('/v1/alert-rules/high_memory_usage', { threshold: 0 })
  await eventually('the second breach suppressed by the cooldown', async () => ((await stateOf()) === 'suppressed' ? true : undefined))
  await client.put('/v1/alert-rules/high_memory_usage', { cooldown: '0s', maxPerHour: 1 })
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  t.equal(await stateOf(), 'suppressed', 'still held back: the rule already fired once this hour')
  t.notOk(await inAlertmanager(), 'nothing reached Alertmanager while held back')

  await client.put('/v1/alert-rules/high_memory_usage', { maxPerHour: 2 })
  await eventually('the second episode in Alertmanager', async () => ((await inAlertmanager()) ? true : undefined))
  t.equal(await stateOf(), 'firing')
  t.equal((await client.get('/v1/alerts/history?rule=high_memory_usage')).body.items.length, 2, 'two episodes recorded')
})
