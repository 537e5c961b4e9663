// npm run render:monitoring
// Renders the monitor's one source of truth for clusters where Prometheus and Grafana do the
// work: rules/alert-rules.yaml into the Helm chart's PrometheusRule body, and the dashboard's
// figures into a Grafana dashboard. Tests fail when a committed output is out of date.
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { grafanaDashboard } from '../src/dashboard/grafana-dashboard.ts'
import { loadRulesFile } from '../src/rules/load-rules.ts'
import { renderPrometheusRules } from '../src/rules/prometheus-rule-file.ts'

const outputs: Array<[URL, string]> = [
  [new URL('../../../charts/latchkey/files/prometheus-rules.yaml', import.meta.url), renderPrometheusRules(loadRulesFile())],
  [new URL('../../../deploy/grafana/latchkey-dashboard.json', import.meta.url), `${JSON.stringify(grafanaDashboard(), null, 2)}\n`],
]
for (const [url, content] of outputs) {
  const path = fileURLToPath(url)
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, content)
  process.stdout.write(`wrote ${path}\n`)
}
