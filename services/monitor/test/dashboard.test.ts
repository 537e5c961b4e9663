import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { cacheInvalidatorTarget } from '@latchkey/cache-invalidator'
import { permissionTarget } from '@latchkey/permission'
import { taskWorkerTarget } from '@latchkey/task-worker'
import { chromium } from 'playwright-core'
import t from 'tap'
import { jsonClient } from '@latchkey/testing'
import { eventually, startMonitorApp } from './helpers.ts'

// `UPDATE_SCREENSHOT=1 npx tap services/monitor/test/dashboard.test.ts` refreshes the README's picture.
const screenshotPath = fileURLToPath(new URL('../../../docs/images/dashboard.png', import.meta.url))

t.test('the dashboard renders live figures, alerts, history and trends in headless Chromium, with no console errors and nothing from elsewhere', async (t) => {
  const { url } = await startMonitorApp(t, { TASK_QUEUES: 'system', MONITOR_SAMPLE_INTERVAL: '1s' }, { registry: { permission: permissionTarget, 'cache-invalidator': cacheInvalidatorTarget, 'task-worker': taskWorkerTarget } })
  const client = jsonClient(url)

  // Real work for every panel: checks (cache), a write (invalidation), tasks (queues, outcomes, a dead one), an alert.
  await client.post('/v1/permissions', { key: 'deals.view' })
  await client.post('/v1/orgs', { slug: 'acme', name: 'Acme' })
  await client.post('/v1/orgs/acme/roles', { name: 'viewer', permissions: ['deals.view'] })
  const users = ['ann', 'bob', 'cyd', 'dan']
  for (const user of users) {
    await client.put(`/v1/users/${user}`, { email: `${user}@example.com` })
    await client.put(`/v1/orgs/acme/members/${user}`, { roles: ['viewer'] })
  }
  for (let round = 0; round < 20; round++) await Promise.all(users.map((user) => client.post('/v1/check', { org: 'acme', user, permission: 'deals.view' })))
  await client.put('/v1/orgs/acme/members/dan', { roles: [] })
  await client.post('/v1/tasks/bulk', { tasks: Array.from({ length: 30 }, (_, i) => ({ queue: 'system', type: 'system.echo', payload: { i, sleepMs: 20 } })) })
  await client.post('/v1/tasks/bulk', { tasks: Array.from({ length: 12 }, () => ({ queue: 'auth', type: 'system.echo' })) })
  await client.post('/v1/tasks', { queue: 'system', type: 'system.echo', payload: { failTimes: 3 }, maxAttempts: 1 })
  await client.put('/v1/alert-rules/high_memory_usage', { threshold: 0, for: '0s', cooldown: '0s' })
  await eventually('figures for the cache and the tasks', async () => {
    const { body } = await client.get('/v1/dashboard')
    const newest = body.live.at(-1)?.values
    return newest?.cache_l1_hit_ratio?.length && newest?.task_throughput?.length && newest?.queue_depth?.length ? true : undefined
  })
  await new Promise((resolve) => setTimeout(resolve, 2_500))
  const rollup = await client.post('/v1/tasks', { queue: 'system', type: 'system.alert_rollup', payload: { hours: 2 } })
  await eventually('the hourly roll-up', async () => ((await client.get(`/v1/tasks/${rollup.body.id}`)).body.status === 'succeeded' ? true : undefined))
  t.ok((await client.get('/v1/dashboard/trends?hours=24')).body.items.length > 0, 'the roll-up wrote trend rows')

  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } })
  const problems: string[] = []
  const foreign: string[] = []
  page.on('console', (message) => void (message.type() === 'error' && problems.push(message.text())))
  page.on('pageerror', (error) => void problems.push(error.message))
  page.on('request', (request) => void (!request.url().startsWith(url) && !request.url().startsWith('data:') && foreign.push(request.url())))
  await page.goto(`${url}/dashboard`)

  await page.getByTestId('alerts').filter({ hasText: 'high_memory_usage' }).waitFor()
  t.match(await page.getByTestId('alerts').innerText(), /high_memory_usage\s+warning\s+firing/)
  t.match(await page.getByTestId('alerts').innerText(), /dead_letters_appearing\s+warning\s+firing/, 'the dead task is alerted on too')
  t.match(await page.getByTestId('firing-count').innerText(), /^[1-9]\d* firing$/)
  t.match(await page.locator('[data-series="cache_l1_hit_ratio"] .value').innerText(), /^\d+(\.\d)? %$/, 'the L1 hit ratio tile shows a percentage')
  t.match(await page.locator('[data-series="task_throughput"] .value').innerText(), /\/s$/, 'throughput shows a rate')
  await page.locator('[data-chart="cache_l1_hit_ratio"] canvas').waitFor()
  for (const chart of ['cache_l1_hit_ratio', 'cache_l1_bytes', 'queue_depth', 'task_throughput', 'invalidation_delay_p99', 'trend-cache_l1_hit_ratio']) {
    t.equal(await page.locator(`[data-chart="${chart}"] canvas`).count(), 1, `${chart} is drawn`)
  }
  t.match(await page.locator('[data-chart="queue_depth"] .u-legend').innerText(), /queue=auth/, 'the queue chart names the backlogged queue')
  t.match(await page.getByTestId('history').innerText(), /high_memory_usage/, 'the episode is in the history')
  t.match(await page.getByTestId('targets').innerText(), /\S/, 'the watched processes are listed')

  const updated = Number(await page.locator('body').getAttribute('data-updated'))
  await eventually('a refresh', async () => (Number(await page.locator('body').getAttribute('data-updated')) > updated ? true : undefined), 12_000)
  t.pass('the page refreshes by itself')

  if (process.env.UPDATE_SCREENSHOT) {
    mkdirSync(new URL('../../../docs/images/', import.meta.url), { recursive: true })
    await page.screenshot({ path: screenshotPath, fullPage: true })
  }
  t.same(problems, [], 'no console errors')
  t.same(foreign, [], 'every asset comes from the monitor itself')
})
