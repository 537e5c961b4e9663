import { defineTask, TaskRejectedError } from '../registry.ts'

const readInteger = (payload: Record<string, unknown>, name: string, fallback: number, max: number): number => {
  const value = payload[name] ?? fallback
  if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw new TaskRejectedError(`system.alert_rollup: payload.${name} must be an integer from 1 to ${max}, got ${JSON.stringify(value)}`)
  }
  return value as number
}

// Each hour's figures computed again from the samples (an upsert), so a run is idempotent and
// the current hour fills in as it goes.
const rollUpSamples = `
  INSERT INTO metric_rollups (series, metric, labels, hour, avg, min, max, samples)
  SELECT series, metric, (array_agg(labels))[1], date_trunc('hour', at), avg(value), min(value), max(value), count(*)
  FROM metric_samples
  WHERE at >= date_trunc('hour', now()) - make_interval(hours => $1)
  GROUP BY series, metric, date_trunc('hour', at)
  ON CONFLICT (series, hour) DO UPDATE SET labels = EXCLUDED.labels, avg = EXCLUDED.avg, min = EXCLUDED.min, max = EXCLUDED.max, samples = EXCLUDED.samples`

// Alert episodes started per rule and hour, as the series alerts_started{rule="..."}.
const rollUpEpisodes = `
  INSERT INTO metric_rollups (series, metric, labels, hour, avg, min, max, samples)
  SELECT 'alerts_started{rule=' || to_json(rule)::text || '}', 'alerts_started', jsonb_build_object('rule', rule), date_trunc('hour', started_at), count(*), count(*), count(*), count(*)::int
  FROM alert_episodes
  WHERE started_at >= date_trunc('hour', now()) - make_interval(hours => $1)
  GROUP BY rule, date_trunc('hour', started_at)
  ON CONFLICT (series, hour) DO UPDATE SET avg = EXCLUDED.avg, min = EXCLUDED.min, max = EXCLUDED.max, samples = EXCLUDED.samples`

/**
 * The hourly roll-up behind the monitor's trend charts (the scheduler fires it every hour):
 * averages, minimum and maximum per hour of each key metric the monitor sampled, and the alert
 * episodes started per rule and hour; then it deletes samples older than the retention (the
 * roll-ups stay). `payload.hours` (default 25) hours are computed again, so a missed run is
 * caught up by the next.
 */
export default defineTask<Record<string, unknown> | null, { rollups: number; deletedSamples: number }>({
  type: 'system.alert_rollup',
  description: 'Rolls the monitor\'s metric samples and alert episodes up into hourly trend rows; payload {hours?, sampleRetentionDays?}',
  queues: ['system'],
  maxAttempts: 3,
  async handle(payload, { services: { db } }) {
    const options = typeof payload === 'object' && payload !== null ? payload : {}
    const hours = readInteger(options, 'hours', 25, 24 * 90)
    const retentionDays = readInteger(options, 'sampleRetentionDays', 3, 365)
    const samples = await db.$executeRawUnsafe(rollUpSamples, hours)
    const episodes = await db.$executeRawUnsafe(rollUpEpisodes, hours)
    const deletedSamples = await db.$executeRawUnsafe('DELETE FROM metric_samples WHERE at < now() - make_interval(days => $1)', retentionDays)
    return { rollups: samples + episodes, deletedSamples }
  },
})
