// The schedule routes of the contract, in-process: shapes, run-time changes that every replica
// sees and that survive restarts, the schedules file's place (it only adds what was never
// stored), and bad input (a 4xx with an LK_ code, the stored schedule unchanged).
import t from 'tap'
import type tap from 'tap'
import { jsonClient, uniqueNamespace, waitFor } from '@latchkey/testing'
import { assertApiError, scheduleFile, startSchedulerApp, testDatabase } from './helpers.ts'

const builtIns = [
  { name: 'nightly-echo', cron: '0 3 * * *', timezone: 'Europe/Paris', queue: 'system', type: 'system.echo', payload: { night: true } },
  { name: 'needs-other-branch', cron: '*/5 * * * *', queue: 'system', type: 'nobody.handles_this' },
]

async function start(t: Parameters<Parameters<typeof tap.test>[0]>[0], shared?: { databaseUrl: string; namespace: string }) {
  const databaseUrl = shared?.databaseUrl ?? (await testDatabase(t))
  const namespace = shared?.namespace ?? uniqueNamespace(t)
  const app = await startSchedulerApp(t, { NATS_NAMESPACE: namespace, SCHEDULES_FILE: scheduleFile(builtIns) }, { databaseUrl })
  return { app, api: jsonClient(app.url), shared: { databaseUrl, namespace } }
}

t.test('the built-in schedules are listed; one whose task type no handler runs is set aside', async (t) => {
  const { api } = await start(t)
  const res = await api.get('/v1/schedules')
  t.equal(res.status, 200)
  t.equal(res.body.leader, true, 'the only replica leads')
  t.same(res.body.items.map((s: { name: string }) => s.name), ['nightly-echo'])
  const [schedule] = res.body.items
  t.same(Object.keys(schedule).sort(), ['cron', 'lastRunAt', 'missedPolicy', 'name', 'nextRunAt', 'noOverlap', 'paused', 'payload', 'priority', 'queue', 'timezone', 'type'])
  t.match(schedule, { cron: '0 3 * * *', timezone: 'Europe/Paris', queue: 'system', type: 'system.echo', priority: 'medium', payload: { night: true }, paused: false, lastRunAt: null, missedPolicy: 'skip', noOverlap: false })
  const next = new Date(schedule.nextRunAt)
  t.equal(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(next), '03:00', 'the next run is at 03:00 in its time zone')
  t.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + 86_400_000)
})

t.test('PUT creates (201) then replaces (200); pause, resume, trigger and the runs', async (t) => {
  const { api } = await start(t)
  const created = await api.put('/v1/schedules/hourly-echo', { cron: '0 * * * *', queue: 'system', type: 'system.echo', payload: { n: 1 }, priority: 'high' })
  t.equal(created.status, 201, created.text)
  t.match(created.body, { name: 'hourly-echo', cron: '0 * * * *', timezone: 'UTC', priority: 'high', payload: { n: 1 }, paused: false })
  const replaced = await api.put('/v1/schedules/hourly-echo', { cron: '30 * * * * *', queue: 'system', type: 'system.echo', noOverlap: true, missedPolicy: 'fire_once' })
  t.equal(replaced.status, 200)
  t.match(replaced.body, { cron: '30 * * * * *', priority: 'medium', payload: null, noOverlap: true, missedPolicy: 'fire_once' })
  t.equal(new Date(replaced.body.nextRunAt).getUTCSeconds(), 30, 'a leading seconds field is honoured')

  const paused = await api.post('/v1/schedules/hourly-echo/pause')
  t.match(paused, { status: 200, body: { paused: true, nextRunAt: null } })
  t.match((await api.get('/v1/schedules')).body.items.find((s: { name: string }) => s.name === 'hourly-echo'), { paused: true })
  t.match(await api.post('/v1/schedules/hourly-echo/resume'), { status: 200, body: { paused: false } })

  const triggered = await api.post('/v1/schedules/hourly-echo/trigger')
  t.equal(triggered.status, 202, triggered.text)
  t.same(Object.keys(triggered.body).sort(), ['firedAt', 'status', 'taskId', 'tick'])
  const runs = await waitFor('the triggered run to succeed', async () => {
    const res = await api.get('/v1/schedules/hourly-echo/runs')
    return res.body.items[0]?.status === 'succeeded' ? res.body.items : undefined
  })
  t.equal(runs.length, 1)
  t.match(runs[0], { tick: triggered.body.tick, taskId: triggered.body.taskId, status: 'succeeded' })
  t.match(runs[0].tick, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'the tick is ISO 8601')
  t.match((await api.get(`/v1/tasks/${triggered.body.taskId}`)).body, { type: 'system.echo', queue: 'system', status: 'succeeded' })
  t.ok((await api.get('/v1/schedules')).body.items.find((s: { name: string }) => s.name === 'hourly-echo').lastRunAt, 'lastRunAt is set')
})

t.test('bad input answers a 4xx with an LK_ code and leaves the stored schedule unchanged', async (t) => {
  const { app, api } = await start(t)
  const before = (await api.get('/v1/schedules')).body.items
  const cases: [string, Record<string, unknown>, number, string][] = [
    ['an invalid cron expression', { cron: '61 * * * *', queue: 'system', type: 'system.echo' }, 400, 'LK_ERR_INVALID_CRON'],
    ['a cron expression with 7 fields', { cron: '* * * * * * *', queue: 'system', type: 'system.echo' }, 400, 'LK_ERR_INVALID_CRON'],
    ['an impossible date', { cron: '0 0 31 2 *', queue: 'system', type: 'system.echo' }, 400, 'LK_ERR_INVALID_CRON'],
    ['an unknown time zone', { cron: '0 * * * *', timezone: 'Mars/Olympus_Mons', queue: 'system', type: 'system.echo' }, 400, 'LK_ERR_UNKNOWN_TIMEZONE'],
    ['an unknown task type', { cron: '0 * * * *', queue: 'system', type: 'nobody.handles_this' }, 400, 'LK_ERR_UNKNOWN_TASK_TYPE'],
    ['an unknown queue', { cron: '0 * * * *', queue: 'mail', type: 'system.echo' }, 400, 'LK_ERR_VALIDATION'],
    ['an unknown missed-tick policy', { cron: '0 * * * *', queue: 'system', type: 'system.echo', missedPolicy: 'always' }, 400, 'LK_ERR_VALIDATION'],
    ['no cron', { queue: 'system', type: 'system.echo' }, 400, 'LK_ERR_VALIDATION'],
  ]
  for (const [what, body, status, code] of cases) {
    assertApiError(t, await api.put('/v1/schedules/nightly-echo', body), status, code, `replacing with ${what}`)
    assertApiError(t, await api.put('/v1/schedules/brand-new', body), status, code, `creating with ${what}`)
  }
  const malformed = await api.put('/v1/schedules/nightly-echo', undefined, { raw: '{"cron": ', headers: { 'content-type': 'application/json' } })
  assertApiError(t, malformed, 400, 'LK_ERR_MALFORMED_JSON', 'malformed JSON')
  assertApiError(t, await api.put('/v1/schedules/bad%20name', { cron: '0 * * * *', queue: 'system', type: 'system.echo' }), 400, 'LK_ERR_VALIDATION', 'a bad name')
  t.same((await api.get('/v1/schedules')).body.items, before, 'nothing changed, nothing created')
  for (const [method, path] of [
    ['post', '/v1/schedules/nope/pause'],
    ['post', '/v1/schedules/nope/resume'],
    ['post', '/v1/schedules/nope/trigger'],
    ['get', '/v1/schedules/nope/runs'],
    ['delete', '/v1/schedules/nope'],
  ] as const) {
    assertApiError(t, await api[method](path), 404, 'LK_ERR_SCHEDULE_NOT_FOUND', `${method} ${path}`)
  }
  assertApiError(t, await api.get('/v1/schedules/nightly-echo/runs?limit=0'), 400, 'LK_ERR_VALIDATION', 'a limit of 0')
})

t.test('stored schedules win over the file across restarts: a changed built-in stays changed, a deleted one stays deleted', async (t) => {
  const first = await start(t)
  t.equal((await first.api.put('/v1/schedules/nightly-echo', { cron: '0 4 * * *', queue: 'system', type: 'system.echo' })).status, 200)
  t.equal((await first.api.put('/v1/schedules/mine', { cron: '*/10 * * * *', queue: 'system', type: 'system.echo' })).status, 201)
  await first.app.close()

  const second = await start(t, first.shared)
  const names = (res: { body: { items: { name: string }[] } }) => res.body.items.map((s) => s.name)
  let listed = await second.api.get('/v1/schedules')
  t.same(names(listed), ['mine', 'nightly-echo'], 'both survive a restart')
  t.match(listed.body.items[1], { cron: '0 4 * * *', timezone: 'UTC' }, "the API's version, not the file's")
  const deleted = await second.api.delete('/v1/schedules/nightly-echo')
  t.equal(deleted.status, 204)
  assertApiError(t, await second.api.delete('/v1/schedules/nightly-echo'), 404, 'LK_ERR_SCHEDULE_NOT_FOUND', 'deleting twice')
  await second.app.close()

  const third = await start(t, first.shared)
  listed = await third.api.get('/v1/schedules')
  t.same(names(listed), ['mine'], 'the file does not bring a deleted built-in back')
  const again = await third.api.put('/v1/schedules/nightly-echo', { cron: '0 5 * * *', queue: 'system', type: 'system.echo' })
  t.match(again, { status: 201, body: { cron: '0 5 * * *', paused: false, lastRunAt: null } }, 'created again through the API')
})
