import type { EffectiveRule } from './effective-rules.ts'
import type { RuleDefinition, Selector, Signal } from './rule-schema.ts'

const selector = (s: Selector, name = s.metric): string => {
  const matchers = [
    ...Object.entries(s.match ?? {}).map(([label, value]) => `${label}=${JSON.stringify(value)}`),
    ...Object.entries(s.matchRegex ?? {}).map(([label, value]) => `${label}=~${JSON.stringify(value)}`),
  ]
  return matchers.length ? `${name}{${matchers.join(', ')}}` : name
}
const by = (labels: readonly string[] | undefined) => (labels?.length ? ` by (${labels.join(', ')})` : '')
const scaled = (scale: number | undefined) => (scale !== undefined && scale !== 1 ? ` * ${scale}` : '')

/** The PromQL a signal means (see rule-schema.ts); the monitor's own evaluation computes the same. */
export function toPromQL(signal: Signal): string {
  switch (signal.kind) {
    case 'gauge':
      return `${signal.aggregate}${by(signal.by)} (${selector(signal)})${scaled(signal.scale)}`
    case 'increase':
    case 'delta':
      return `sum${by(signal.by)} (${signal.kind}(${selector(signal)}[${signal.window}]))`
    case 'rate':
      return `sum${by(signal.by)} (rate(${selector(signal)}[${signal.window}]))${scaled(signal.scale)}`
    case 'ratio':
      return `sum${by(signal.by)} (rate(${selector(signal.numerator)}[${signal.window}])) / sum${by(signal.by)} (rate(${selector(signal.denominator)}[${signal.window}]))${scaled(signal.scale)}`
    case 'quantile':
      return `histogram_quantile(${signal.quantile}, sum by (${['le', ...(signal.by ?? [])].join(', ')}) (rate(${selector(signal, `${signal.metric}_bucket`)}[${signal.window}])))`
  }
}

/**
 * The annotations of a rule's alerts, as a Prometheus rule carries them. `value` is the value's
 * text: the number itself when the monitor sends an alert, `{{ $value }}` in the PrometheusRule.
 */
export function annotationsOf(rule: RuleDefinition, runbookBaseUrl: string, value: string): Record<string, string> {
  return {
    summary: rule.summary,
    description: `${rule.description}: ${value} (threshold ${rule.op} ${rule.threshold})`,
    runbook_url: `${runbookBaseUrl}#${rule.runbook}`,
  }
}

/** An alerting rule of a Prometheus rules file (or a PrometheusRule's `spec.groups[].rules`). */
export function toPrometheusRule(rule: EffectiveRule | RuleDefinition, runbookBaseUrl: string) {
  return {
    alert: rule.name,
    expr: `${toPromQL(rule.signal)} ${rule.op} ${rule.threshold}`,
    for: rule.for,
    labels: { severity: rule.severity },
    annotations: annotationsOf(rule, runbookBaseUrl, '{{ $value }}'),
  }
}
