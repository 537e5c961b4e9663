import { Duration } from '@latchkey/config'
import Type, { type Static } from 'typebox'

/** The monitor's own variables (the shared ones are the program's). */
export const MonitorConfigSchema = Type.Object({
  ALERTMANAGER_URL: Type.Optional(Type.String({ pattern: '^https?://', description: 'Alertmanager that firing and resolved alerts go to (its v2 API); unset: alerts are kept and shown, not sent' })),
  MONITOR_DISCOVERY: Type.Union([Type.Literal('static'), Type.Literal('kubernetes')], { default: 'static', description: 'static: MONITOR_TARGETS; kubernetes: the EndpointSlices matching MONITOR_K8S_LABEL_SELECTOR' }),
  MONITOR_TARGETS: Type.String({ default: '', pattern: '^(https?://[^,\\s]+(,https?://[^,\\s]+)*)?$', description: 'Comma list of base URLs whose /metrics the monitor reads (besides its own process)' }),
  MONITOR_SELF: Type.Boolean({ default: true, description: "Also read this process's own metrics (every service that runs in it, and its host)" }),
  MONITOR_K8S_NAMESPACE: Type.Optional(Type.String({ description: "Namespace of the services' pods (default: the monitor's own)" })),
  MONITOR_K8S_LABEL_SELECTOR: Type.String({ default: 'app.kubernetes.io/name=latchkey', description: "Label selector of the services' EndpointSlices" }),
  MONITOR_K8S_PORT_NAME: Type.String({ default: 'http', description: 'Name of the EndpointSlice port that serves /metrics' }),
  MONITOR_SCRAPE_INTERVAL: Duration('5s', 'How often every target is read and every rule evaluated'),
  MONITOR_SCRAPE_TIMEOUT: Duration('3s', 'A target that has not answered within this is down for the round'),
  MONITOR_RESEND_INTERVAL: Duration('1m', 'Firing alerts are sent to Alertmanager again this often (as Prometheus does)'),
  MONITOR_SAMPLE_INTERVAL: Duration('1m', 'How often the dashboard figures are written to PostgreSQL for the hourly trends'),
  MONITOR_LIVE_WINDOW: Duration('30m', 'How far back the live charts reach (kept in memory)'),
})

export type MonitorConfig = Static<typeof MonitorConfigSchema>
