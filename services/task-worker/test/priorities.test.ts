// Weighted pulling: under saturation high gets most of the slots, medium less, and low still
// progresses (never starves); a lane alone gets every slot.
import t from 'tap'
import { jsonClient, queryDatabase, waitFor } from '@latchkey/testing'
import { startWorkerApp } from './helpers.ts'

t.test('under saturation: high gets most starts, low still progresses', async (t) => {
  // An API-only process builds a backlog in all three lanes before any worker runs.
  const front = await startWorkerApp(t, { TASK_QUEUES: 'none' })
  const client = jsonClient(front.url)
  const perLane = 60
  for (const priority of ['low', 'medium', 'high']) {
    const res = await client.post('/v1/tasks/bulk', { tasks: Array.from({ length: perLane }, () => ({ queue: 'system', type: 'system.echo', priority, payload: { sleepMs: 10 } })) })
    t.equal(res.status, 202)
  }
  const pending = await client.get('/v1/queues')
  t.match(pending.body.items[4], { name: 'system', pending: { high: perLane, medium: perLane, low: perLane } }, 'the backlog is visible per lane')

  // One worker with two slots: saturated for the whole run.
  await startWorkerApp(t, { NATS_NAMESPACE: front.namespace, TASK_QUEUES: 'system', TASK_CONCURRENCY_SYSTEM: '2' }, { databaseUrl: front.config.DATABASE_URL })
  await waitFor('every task to succeed', async () => {
    const [row] = await queryDatabase<{ n: number }>(front.config.DATABASE_URL, `SELECT count(*)::int AS n FROM tasks WHERE status = 'succeeded'`)
    return row!.n === 3 * perLane ? true : undefined
  }, { timeoutMs: 60_000, intervalMs: 100 })

  const starts = await queryDatabase<{ priority: string; started: Date }>(
    front.config.DATABASE_URL,
    `SELECT priority, (attempt_log -> '1' ->> 'startedAt')::timestamptz AS started FROM tasks ORDER BY started, id`,
  )
  const firstHalf = starts.slice(0, 60)
  const share = (priority: string) => firstHalf.filter((s) => s.priority === priority).length
  t.comment(`first 60 starts: high ${share('high')}, medium ${share('medium')}, low ${share('low')} (weights 6:3:1)`)
  t.ok(share('high') > share('medium') && share('medium') > share('low'), 'high before medium before low')
  t.ok(share('high') >= 30, 'high gets most of the throughput')
  t.ok(share('low') >= 2, 'low progresses while high and medium are saturated')
  const lastHigh = starts.filter((s) => s.priority === 'high').at(-1)!.started.getTime()
  const lowBeforeHighDrained = starts.filter((s) => s.priority === 'low' && s.started.getTime() < lastHigh).length
  t.ok(lowBeforeHighDrained >= 4, `low is not starved: ${lowBeforeHighDrained} low tasks started before the high lane drained`)
})
