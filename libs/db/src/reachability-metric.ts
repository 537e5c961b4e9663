import type { Meter } from '@latchkey/telemetry'

/** A reachability probe answers within this, or counts as down (a scrape must not wait for a connect timeout). */
const probeTimeoutMs = 1_000

/**
 * `latchkey_db_up`: 1 when PostgreSQL answered a `SELECT 1` at scrape time, 0 when it did not
 * (what the `database_connection_issues` rule reads). Probed only when scraped, so an idle
 * process still reports a lost database, and costs one round trip per scrape.
 */
export function observeDatabaseReachability(meter: Meter, probe: () => Promise<unknown>): void {
  meter.createObservableGauge('latchkey_db_up', { description: 'Whether PostgreSQL answered a probe at scrape time (1) or not (0)' }).addCallback(async (result) => {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), probeTimeoutMs)))
    const answered = await Promise.race([probe().then(() => true, () => false), timeout])
    clearTimeout(timer)
    result.observe(answered ? 1 : 0, { 'db.system.name': 'postgresql' })
  })
}
