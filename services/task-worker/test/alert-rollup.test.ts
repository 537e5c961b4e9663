import pg from 'pg'
import t from 'tap'
import { jsonClient } from '@latchkey/testing'
import { enqueue, startWorkerApp, waitForStatus } from './helpers.ts'

// The monitor's hourly trends: samples and episodes in, hourly rows out (see docs/monitor.md).
t.test('system.alert_rollup rolls samples and episodes up per hour, idempotently, and drops samples past their retention', async (t) => {
  const { url, config } = await startWorkerApp(t, { TASK_QUEUES: 'system' })
  const client = jsonClient(url)
  const db = new pg.Client({ connectionString: config.DATABASE_URL })
  await db.connect()
  t.teardown(() => db.end())
  const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 - 3_600_000) // the last complete hour
  const at = (minutes: number) => new Date(hour.getTime() + minutes * 60_000)
  const series = 'cache_l1_hit_ratio{cache_type="organization"}'
  for (const [minutes, value] of [[5, 90], [20, 80], [40, 100]] as const) {
    await db.query('INSERT INTO metric_samples (series, metric, labels, at, value) VALUES ($1, $2, $3, $4, $5)', [series, 'cache_l1_hit_ratio', { cache_type: 'organization' }, at(minutes), value])
  }
  await db.query('INSERT INTO metric_samples (series, metric, labels, at, value) VALUES ($1, $2, $3, $4, $5)', [series, 'cache_l1_hit_ratio', { cache_type: 'organization' }, new Date(Date.now() - 3 * 86_400_000), 50])
  await db.query(
    `INSERT INTO alert_episodes (rule, severity, fingerprint, labels, threshold, started_at, peak_value, last_value)
     VALUES ('high_cpu_usage', 'warning', 'a', '{}', 80, $1, 95, 90), ('high_cpu_usage', 'warning', 'b', '{}', 80, $2, 85, 85)`,
    [at(10), at(50)],
  )

  for (const run of [1, 2]) {
    const task = await enqueue(client, { queue: 'system', type: 'system.alert_rollup', payload: { hours: 3, sampleRetentionDays: 2 } })
    const done = await waitForStatus(client, task.id, 'succeeded')
    if (run === 1) t.equal((done.result as { deletedSamples: number }).deletedSamples, 1, 'the sample older than the retention is deleted')
    const { rows } = await db.query('SELECT series, metric, avg, min, max, samples FROM metric_rollups WHERE hour = $1 ORDER BY metric', [hour])
    t.same(
      rows,
      [
        { series: 'alerts_started{rule="high_cpu_usage"}', metric: 'alerts_started', avg: 2, min: 2, max: 2, samples: 2 },
        { series, metric: 'cache_l1_hit_ratio', avg: 90, min: 80, max: 100, samples: 3 },
      ],
      `run ${run}: one row per series and hour`,
    )
  }
})
