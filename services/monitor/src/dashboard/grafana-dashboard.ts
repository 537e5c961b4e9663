import { toPromQL } from '../rules/promql.ts'
import { dashboardSeries, type DashboardSeries } from './dashboard-series.ts'

const grafanaUnit: Record<DashboardSeries['unit'], string> = { percent: 'percent', bytes: 'bytes', seconds: 's', count: 'short', per_second: 'reqps' }

const legendOf = (series: DashboardSeries): string => {
  const by = 'by' in series.signal ? series.signal.by : undefined
  return by?.length ? by.map((label) => `{{${label}}}`).join(' ') : series.title
}

/**
 * The monitor's dashboard as a Grafana dashboard over Prometheus: the same figures (each
 * dashboard series' PromQL twin), plus the firing alerts, for clusters where Prometheus scrapes
 * the services. Imported with a Prometheus data source chosen at import (`DS_PROMETHEUS`).
 */
export function grafanaDashboard() {
  const datasource = { type: 'prometheus', uid: '${DS_PROMETHEUS}' }
  const width = 8
  const panels = dashboardSeries.map((series, index) => ({
    id: index + 2,
    type: 'timeseries',
    title: series.title,
    datasource,
    gridPos: { x: (index % 3) * width, y: 8 + Math.floor(index / 3) * 8, w: width, h: 8 },
    fieldConfig: { defaults: { unit: grafanaUnit[series.unit], ...(series.unit === 'percent' ? { min: 0, max: 100 } : { min: 0 }) }, overrides: [] },
    targets: [{ refId: 'A', datasource, expr: toPromQL(series.signal), legendFormat: legendOf(series) }],
  }))
  return {
    __inputs: [{ name: 'DS_PROMETHEUS', label: 'Prometheus', type: 'datasource', pluginId: 'prometheus', pluginName: 'Prometheus' }],
    title: 'Latchkey',
    uid: 'latchkey-overview',
    tags: ['latchkey'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    templating: { list: [] },
    panels: [
      {
        id: 1,
        type: 'table',
        title: 'Firing alerts',
        datasource,
        gridPos: { x: 0, y: 0, w: 24, h: 8 },
        targets: [{ refId: 'A', datasource, expr: 'ALERTS{alertstate="firing"}', format: 'table', instant: true }],
      },
      ...panels,
    ],
  }
}
