import type { MonitorContext } from '../context.ts'

/** Alerts now: firing, pending (breached, waiting for `for`) and suppressed (held back by cooldown or the hourly limit). */
export function listAlerts(ctx: MonitorContext) {
  const order = { firing: 0, suppressed: 1, pending: 2 }
  return ctx.engine.tracker
    .list()
    .sort((a, b) => order[a.state] - order[b.state] || a.since - b.since)
    .map((alert) => ({ rule: alert.rule, severity: alert.severity, state: alert.state, since: new Date(alert.since).toISOString(), value: alert.value, labels: alert.labels }))
}

/** Firing episodes, newest first (`before`: older than that start, for paging). */
export async function alertHistory(ctx: MonitorContext, query: { rule?: string; limit?: number; before?: string }) {
  const rows = await ctx.store.history({ limit: query.limit ?? 100, rule: query.rule, before: query.before ? new Date(query.before) : undefined })
  return rows.map(({ fingerprint: _fingerprint, ...row }) => row)
}
