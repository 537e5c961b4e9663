import { setTimeout as sleep } from 'node:timers/promises'
import { cacheInvalidatorTarget } from '@latchkey/cache-invalidator'
import { permissionTarget } from '@latchkey/permission'
import type { Target } from '@latchkey/runtime'
import { taskWorkerTarget } from '@latchkey/task-worker'
import { jsonClient, startAlertmanager } from '@latchkey/testing'
import t from 'tap'
import Type from 'typebox'
import { fireAndResolve, startMonitorApp } from './helpers.ts'

// Routes that misbehave on purpose, so that the request rules see real slow and failing requests.
const misbehavingRoutes: Target = {
  config: Type.Object({}),
  uses: { natsOptional: true },
  register: async (app) => {
    app.get('/v1/test/slow', async () => {
      await sleep(150)
      return { slow: true }
    })
    app.get('/v1/test/fail', async () => {
      throw new Error('fails on purpose')
    })
  },
}

t.test('each platform rule fires on the real thing and resolves, through a real Alertmanager', async (t) => {
  const alertmanager = await startAlertmanager(t)
  const { url, app } = await startMonitorApp(
    t,
    { ALERTMANAGER_URL: alertmanager.url, HTTP_SLOW_REQUEST_THRESHOLD: '100ms', DB_SLOW_QUERY_THRESHOLD: '100ms', TASK_QUEUES: 'system' },
    { registry: { permission: permissionTarget, 'cache-invalidator': cacheInvalidatorTarget, 'task-worker': taskWorkerTarget, test: misbehavingRoutes } },
  )
  const client = jsonClient(url)

  await t.test('high_slow_request_rate: a route slower than HTTP_SLOW_REQUEST_THRESHOLD', (t) =>
    fireAndResolve(t, { client, alertmanager, rule: 'high_slow_request_rate', breach: { threshold: 0 }, restore: { threshold: 100 }, provoke: () => Promise.all([1, 2, 3].map(() => client.get('/v1/test/slow'))) }),
  )
  await t.test('high_api_error_rate: a route answering 500', (t) =>
    fireAndResolve(t, { client, alertmanager, rule: 'high_api_error_rate', breach: { threshold: 0 }, restore: { threshold: 100 }, provoke: () => Promise.all([1, 2, 3].map(() => client.get('/v1/test/fail'))) }),
  )
  await t.test('high_slow_query_rate: queries slower than DB_SLOW_QUERY_THRESHOLD', (t) =>
    fireAndResolve(t, { client, alertmanager, rule: 'high_slow_query_rate', breach: { threshold: 0 }, restore: { threshold: 100 }, provoke: () => app.db.$queryRaw`SELECT pg_sleep(0.15)::text` }),
  )

  const provokeChecks = async () => {
    await client.post('/v1/permissions', { key: 'deals.view' })
    await client.post('/v1/orgs', { slug: 'acme', name: 'Acme' })
    await client.post('/v1/orgs/acme/roles', { name: 'viewer', permissions: ['deals.view'] })
    for (const user of ['ann', 'bob']) {
      await client.put(`/v1/users/${user}`, { email: `${user}@example.com` })
      await client.put(`/v1/orgs/acme/members/${user}`, { roles: ['viewer'] })
      await client.post('/v1/check', { org: 'acme', user, permission: 'deals.view' })
    }
  }
  await t.test('low_cache_hit_ratio: checks of users not in L1 yet (misses)', (t) =>
    fireAndResolve(t, { client, alertmanager, rule: 'low_cache_hit_ratio', breach: { threshold: 100 }, restore: { threshold: 0 }, provoke: provokeChecks, labels: { cache_type: /.+/ } }),
  )
  await t.test('slow_invalidation: a membership change, invalidated in every L1 after its commit', (t) =>
    fireAndResolve(t, { client, alertmanager, rule: 'slow_invalidation', breach: { threshold: 0 }, restore: { threshold: 100 }, provoke: () => client.put('/v1/orgs/acme/members/ann', { roles: [] }) }),
  )
  const enqueue = (tasks: unknown[]) => client.post('/v1/tasks/bulk', { tasks })
  await t.test('queue_backlog_growing: tasks enqueued on a queue no worker here takes', (t) =>
    fireAndResolve(t, { client, alertmanager, rule: 'queue_backlog_growing', breach: { threshold: 3 }, restore: { threshold: 1000 }, provoke: () => enqueue(Array.from({ length: 10 }, () => ({ queue: 'auth', type: 'system.echo' }))), labels: { queue: 'auth' } }),
  )
  await t.test('dead_letters_appearing: a task whose every attempt fails', (t) =>
    fireAndResolve(t, { client, alertmanager, rule: 'dead_letters_appearing', breach: { threshold: 0 }, restore: { threshold: 100 }, provoke: () => enqueue([{ queue: 'system', type: 'system.echo', payload: { failTimes: 5 }, maxAttempts: 1 }]), labels: { queue: 'system' } }),
  )
})
