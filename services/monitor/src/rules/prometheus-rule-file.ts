import { stringify } from 'yaml'
import { applyOverride, type RuleOverride } from './effective-rules.ts'
import { toPrometheusRule } from './promql.ts'
import type { RulesFile } from './rule-schema.ts'

const header = `# Generated from services/monitor/rules/alert-rules.yaml by
# \`npm run render:monitoring\`: do not edit (a test fails when it is out of date).
# The body (spec) of the chart's PrometheusRule, and a valid Prometheus rules file as it is.
# The monitor's cooldown and maxPerHour have no PromQL form: where Prometheus evaluates these
# rules, Alertmanager's group_interval and repeat_interval limit the notifications instead.
`

/**
 * The rules as a Prometheus rules file (`groups:`), in PromQL over the metric names the services
 * export. `overrides` (tests) change rules as PUT /v1/alert-rules would; disabled rules are left out.
 */
export function renderPrometheusRules(file: RulesFile, overrides: Record<string, RuleOverride> = {}): string {
  const rules = file.rules.map((definition) => applyOverride(definition, overrides[definition.name])).filter((rule) => rule.enabled)
  const body = { groups: [{ name: 'latchkey', rules: rules.map((rule) => toPrometheusRule(rule, file.runbookBaseUrl)) }] }
  return header + stringify(body, { lineWidth: 0 })
}
