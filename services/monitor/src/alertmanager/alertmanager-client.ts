import type { Alert } from '../engine/alert-tracker.ts'
import type { EffectiveRule } from '../rules/effective-rules.ts'
import { annotationsOf } from '../rules/promql.ts'

/** An alert as Alertmanager's v2 API takes it (POST /api/v2/alerts). */
export interface PostableAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
}

const formatValue = (value: number) => (Number.isInteger(value) ? String(value) : value.toFixed(2).replace(/\.?0+$/, ''))

/** Fills `{{ $value }}` and `{{ $labels.<name> }}` the way a Prometheus rule's annotation template does. */
export function renderTemplate(template: string, alert: Pick<Alert, 'labels' | 'value'>): string {
  return template
    .replace(/\{\{\s*\$value\s*\}\}/g, formatValue(alert.value))
    .replace(/\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g, (_, label: string) => alert.labels[label] ?? '')
}

/** Labels and annotations as a Prometheus alerting rule carries them, so routes and templates written for Prometheus match. */
export function toPostableAlert(alert: Alert, rule: EffectiveRule, runbookBaseUrl: string, endsAt: number): PostableAlert {
  const annotations = annotationsOf(rule, runbookBaseUrl, formatValue(alert.value))
  return {
    labels: { ...alert.labels, alertname: alert.rule, severity: alert.severity },
    annotations: { ...annotations, summary: renderTemplate(annotations.summary!, alert) },
    startsAt: new Date(alert.since).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
  }
}

/** Posts alerts to Alertmanager; throws when it does not take them (unreachable, or an answer other than 2xx). */
export async function postAlerts(baseUrl: string, alerts: PostableAlert[], timeoutMs: number): Promise<void> {
  const response = await fetch(new URL('api/v2/alerts', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts),
    signal: AbortSignal.timeout(timeoutMs),
  })
  if (!response.ok) throw new Error(`Alertmanager answered ${response.status}: ${(await response.text()).slice(0, 200)}`)
}
