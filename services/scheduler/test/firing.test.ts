// What the leader fires, in-process with a task worker: late ticks after a short outage, the
// missed-tick policies after a long one, pauses and overlap prevention.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { jsonClient, queryDatabase, uniqueNamespace, waitFor } from '@latchkey/testing'
import { runsOf, startSchedulerApp, testDatabase, type RunBody } from './helpers.ts'

const noFile = { SCHEDULES_FILE: 'none' }
const everySecond = { cron: '* * * * * *', queue: 'system', type: 'system.echo' }
const ticksOf = (runs: RunBody[]) => runs.map((run) => Date.parse(run.tick))
const gapsIn = (ticks: number[]) => ticks.slice(1).filter((tick, i) => tick - ticks[i]! !== 1_000)

async function metric(url: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text()
  return Number(pattern.exec(text)?.[1] ?? 0)
}

t.test('ticks missed during a short outage (within the catch-up window) fire late, each once', async (t) => {
  const databaseUrl = await testDatabase(t)
  const env = { ...noFile, NATS_NAMESPACE: uniqueNamespace(t) }
  const first = await startSchedulerApp(t, env, { databaseUrl })
  t.equal((await jsonClient(first.url).put('/v1/schedules/beat', everySecond)).status, 201)
  await waitFor('two ticks', async () => ((await runsOf(first.url, 'beat')).length >= 2 ? true : undefined))
  await first.close()
  const stoppedAt = Date.now()
  await sleep(3_000)

  const second = await startSchedulerApp(t, env, { databaseUrl })
  await waitFor('ticks after the restart', async () => ((await runsOf(second.url, 'beat')).at(-1)?.tick ?? '') > new Date(Date.now() - 500).toISOString() || undefined, { timeoutMs: 15_000, intervalMs: 100 })
  const ticks = ticksOf(await runsOf(second.url, 'beat'))
  t.same(gapsIn(ticks), [], 'every second has its run, the outage included')
  const late = (await runsOf(second.url, 'beat')).filter((run) => Date.parse(run.tick) > stoppedAt && Date.parse(run.firedAt) - Date.parse(run.tick) > 1_000)
  t.ok(late.length >= 2, `${late.length} ticks of the outage fired late`)
})

t.test('a longer outage follows the missed-tick policy: skip, or fire the latest once', async (t) => {
  const databaseUrl = await testDatabase(t)
  const env = { ...noFile, NATS_NAMESPACE: uniqueNamespace(t), SCHEDULER_CATCH_UP_WINDOW: '5s' }
  const first = await startSchedulerApp(t, env, { databaseUrl })
  const api = jsonClient(first.url)
  t.equal((await api.put('/v1/schedules/skipper', { ...everySecond, cron: '0 * * * * *', missedPolicy: 'skip' })).status, 201)
  t.equal((await api.put('/v1/schedules/catcher', { ...everySecond, cron: '0 * * * * *', missedPolicy: 'fire_once' })).status, 201)
  await first.close()
  // As if every replica had been down for ten minutes: the high-water marks are ten minutes old.
  await queryDatabase(databaseUrl, "UPDATE schedules SET high_water = now() - interval '10 minutes'")
  const restartedAt = Date.now()

  const second = await startSchedulerApp(t, env, { databaseUrl })
  const caught = await waitFor('the catch-up run', async () => (await runsOf(second.url, 'catcher'))[0])
  const latestMissed = Math.floor((restartedAt - 5_000) / 60_000) * 60_000
  t.ok(Math.abs(Date.parse(caught.tick) - latestMissed) <= 60_000, `fire_once fired the latest missed tick (${caught.tick})`)
  await sleep(500)
  t.equal((await runsOf(second.url, 'catcher')).filter((run) => Date.parse(run.tick) < restartedAt - 5_000).length, 1, 'once')
  t.same((await runsOf(second.url, 'skipper')).filter((run) => Date.parse(run.tick) < restartedAt - 5_000), [], 'skip fired none of them')
  t.ok((await metric(second.url, /latchkey_scheduler_ticks_missed_total\{schedule="skipper"\} (\d+)/)) >= 9, 'the skipped ticks are counted as missed')
  t.ok((await metric(second.url, /latchkey_scheduler_ticks_missed_total\{schedule="catcher"\} (\d+)/)) >= 8, 'and those fire_once did not fire')
})

t.test('ticks that fall in a pause are skipped', async (t) => {
  const app = await startSchedulerApp(t, { ...noFile })
  const api = jsonClient(app.url)
  t.equal((await api.put('/v1/schedules/beat', everySecond)).status, 201)
  await waitFor('a tick', async () => ((await runsOf(app.url, 'beat')).length >= 1 ? true : undefined))
  const pauseAsked = Date.now()
  t.equal((await api.post('/v1/schedules/beat/pause')).status, 200)
  const pausedAt = Date.now()
  await sleep(2_500)
  t.equal((await api.post('/v1/schedules/beat/resume')).status, 200)
  const resumedAt = Date.now()
  await waitFor('a tick after the pause', async () => ((await runsOf(app.url, 'beat')).some((run) => Date.parse(run.tick) > resumedAt) ? true : undefined))
  const inPause = (await runsOf(app.url, 'beat')).filter((run) => Date.parse(run.tick) > pausedAt + 100 && Date.parse(run.tick) < resumedAt)
  t.same(inPause, [], 'no tick of the pause fired', { pauseAsked: new Date(pauseAsked).toISOString(), pausedAt: new Date(pausedAt).toISOString(), resumedAt: new Date(resumedAt).toISOString() })
  t.ok((await metric(app.url, /latchkey_scheduler_ticks_skipped_total\{schedule="beat",reason="paused"\} (\d+)/)) >= 2, 'and they are counted as skipped')
})

t.test('noOverlap: a tick is skipped while the previous run still runs', async (t) => {
  const app = await startSchedulerApp(t, { ...noFile })
  const api = jsonClient(app.url)
  t.equal((await api.put('/v1/schedules/slow', { ...everySecond, payload: { sleepMs: 2_500 }, noOverlap: true })).status, 201)
  const runs = await waitFor('three runs', async () => {
    const found = await runsOf(app.url, 'slow')
    return found.length >= 3 ? found : undefined
  }, { timeoutMs: 20_000, intervalMs: 100 })
  const ticks = ticksOf(runs)
  t.ok(ticks.slice(1).every((tick, i) => tick - ticks[i]! >= 3_000), 'runs are at least the task\'s duration apart')
  t.ok((await metric(app.url, /latchkey_scheduler_ticks_skipped_total\{schedule="slow",reason="overlap"\} (\d+)/)) >= 4, 'the ticks in between are counted as skipped')
  const statuses = await queryDatabase<{ status: string }>(app.config.DATABASE_URL, "SELECT status FROM tasks WHERE status IN ('queued', 'running')")
  t.ok(statuses.length <= 1, 'never two runs at once')
})

t.test('two leaders at once (a split brain) still enqueue each tick once: the tick key deduplicates the second', async (t) => {
  const databaseUrl = await testDatabase(t)
  // Two namespaces: two leases, so both replicas lead, on one database.
  const a = await startSchedulerApp(t, { ...noFile, NATS_NAMESPACE: uniqueNamespace(t) }, { databaseUrl })
  const b = await startSchedulerApp(t, { ...noFile, NATS_NAMESPACE: uniqueNamespace(t) }, { databaseUrl, withWorker: false })
  t.same([(await jsonClient(a.url).get('/v1/schedules')).body.leader, (await jsonClient(b.url).get('/v1/schedules')).body.leader], [true, true], 'both lead')
  t.equal((await jsonClient(a.url).put('/v1/schedules/beat', everySecond)).status, 201)
  await waitFor('five ticks', async () => ((await runsOf(a.url, 'beat')).length >= 5 ? true : undefined), { timeoutMs: 20_000, intervalMs: 100 })
  t.equal((await jsonClient(b.url).post('/v1/schedules/beat/pause')).status, 200)
  await sleep(1_500)
  const ticks = ticksOf(await runsOf(b.url, 'beat'))
  t.same(gapsIn(ticks), [], 'one run per second')
  const tasks = await queryDatabase<{ key: string; n: number }>(databaseUrl, `SELECT idempotency_key AS key, count(*)::int AS n FROM tasks GROUP BY idempotency_key`)
  t.equal(tasks.length, ticks.length, 'one task per tick')
  t.ok(tasks.every((task) => task.n === 1), 'none twice')
  for (const app of [a, b]) {
    t.ok((await metric(app.url, /latchkey_scheduler_ticks_fired_total\{schedule="beat",kind="tick"\} (\d+)/)) >= 4, 'though both fired every tick')
  }
})
