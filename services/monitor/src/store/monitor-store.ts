import type { Database } from '@latchkey/db'
import type { Alert } from '../engine/alert-tracker.ts'
import type { RuleOverride } from '../rules/effective-rules.ts'

export interface EpisodeRow {
  id: string
  rule: string
  severity: string
  fingerprint: string
  labels: Record<string, string>
  threshold: number
  startedAt: string
  endedAt: string | null
  peakValue: number
  lastValue: number
}

export interface TrendPoint {
  series: string
  metric: string
  labels: Record<string, string>
  at: string
  value: number
}

/** The monitor's tables (libs/db/prisma/schema.prisma, "Monitor"). */
export class MonitorStore {
  constructor(private readonly db: Database) {}

  async overrides(): Promise<Map<string, RuleOverride>> {
    const rows = await this.db.alertRuleOverride.findMany()
    return new Map(rows.map((row) => [row.name, { threshold: row.threshold, for: row.forText, cooldown: row.cooldown, maxPerHour: row.maxPerHour, enabled: row.enabled }]))
  }

  async saveOverride(name: string, change: RuleOverride): Promise<void> {
    const data = { threshold: change.threshold, forText: change.for, cooldown: change.cooldown, maxPerHour: change.maxPerHour, enabled: change.enabled }
    await this.db.alertRuleOverride.upsert({ where: { name }, create: { name, ...data }, update: data })
  }

  async startEpisode(alert: Alert, threshold: number): Promise<bigint> {
    const row = await this.db.alertEpisode.create({
      data: {
        rule: alert.rule,
        severity: alert.severity,
        fingerprint: alert.fingerprint,
        labels: alert.labels,
        threshold,
        startedAt: new Date(alert.since),
        peakValue: alert.peak,
        lastValue: alert.value,
      },
      select: { id: true },
    })
    return row.id
  }

  async updateEpisode(id: bigint, values: { peak: number; last: number; endedAt?: number }): Promise<void> {
    await this.db.alertEpisode.update({
      where: { id },
      data: { peakValue: values.peak, lastValue: values.last, ...(values.endedAt !== undefined ? { endedAt: new Date(values.endedAt) } : {}) },
    })
  }

  /** Episodes still open (the monitor stopped while they fired) and those that began within the last hour. */
  async episodesToRestore(now: number): Promise<EpisodeRow[]> {
    const rows = await this.db.alertEpisode.findMany({
      where: { OR: [{ endedAt: null }, { startedAt: { gte: new Date(now - 3_600_000) } }] },
      orderBy: { startedAt: 'asc' },
    })
    return rows.map(toEpisodeRow)
  }

  async history(options: { limit: number; rule?: string; before?: Date }): Promise<EpisodeRow[]> {
    const rows = await this.db.alertEpisode.findMany({
      where: { ...(options.rule ? { rule: options.rule } : {}), ...(options.before ? { startedAt: { lt: options.before } } : {}) },
      orderBy: [{ startedAt: 'desc' }, { id: 'desc' }],
      take: options.limit,
    })
    return rows.map(toEpisodeRow)
  }

  async insertSamples(at: Date, samples: Array<{ series: string; metric: string; labels: Record<string, string>; value: number }>): Promise<void> {
    if (samples.length === 0) return
    await this.db.metricSample.createMany({ data: samples.map((s) => ({ ...s, at })), skipDuplicates: true })
  }

  /** Hourly roll-ups of the given metrics since `since`, oldest first. */
  async trends(metrics: string[], since: Date): Promise<TrendPoint[]> {
    const rows = await this.db.metricRollup.findMany({ where: { metric: { in: metrics }, hour: { gte: since } }, orderBy: { hour: 'asc' } })
    return rows.map((row) => ({ series: row.series, metric: row.metric, labels: row.labels as Record<string, string>, at: row.hour.toISOString(), value: row.avg }))
  }
}

function toEpisodeRow(row: {
  id: bigint
  rule: string
  severity: string
  fingerprint: string
  labels: unknown
  threshold: number
  startedAt: Date
  endedAt: Date | null
  peakValue: number
  lastValue: number
}): EpisodeRow {
  return {
    id: row.id.toString(),
    rule: row.rule,
    severity: row.severity,
    fingerprint: row.fingerprint,
    labels: row.labels as Record<string, string>,
    threshold: row.threshold,
    startedAt: row.startedAt.toISOString(),
    endedAt: row.endedAt?.toISOString() ?? null,
    peakValue: row.peakValue,
    lastValue: row.lastValue,
  }
}
