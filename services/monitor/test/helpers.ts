// Shared helpers of the monitor's tests: the program with the monitor (and whatever else a test
// needs) in this process, with a database of its own and fast rounds, and the proof of a rule.
import { startTestApp, waitFor, type JsonClient, type PrivateAlertmanager, type TestApp } from '@latchkey/testing'
import type { TargetRegistry } from '@latchkey/runtime'
import type tap from 'tap'
import { monitorTarget } from '../src/index.ts'

type Teardown = { teardown(fn: () => unknown): void }

/** Rounds every 300 ms, so rules with `for: 0s` fire within a second. */
export const testEnv = { MONITOR_SCRAPE_INTERVAL: '300ms', MONITOR_SCRAPE_TIMEOUT: '250ms', MONITOR_RESEND_INTERVAL: '2s', MONITOR_SAMPLE_INTERVAL: '1s' }

export async function startMonitorApp(
  t: Teardown,
  env: Record<string, string> = {},
  options: { registry?: TargetRegistry; databaseUrl?: string } = {},
): Promise<TestApp> {
  return startTestApp(t, { registry: { ...options.registry, monitor: monitorTarget }, env: { ...testEnv, ...env }, databaseUrl: options.databaseUrl })
}

/**
 * Polls `probe` every 100 ms (a round is 300 ms) until it returns something other than undefined,
 * or fails after `timeoutMs`; a probe that throws fails it at once.
 */
export function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  return waitFor(what, probe, { timeoutMs, intervalMs: 100, failOnError: true })
}

export type TapTest = Parameters<Parameters<typeof tap.test>[0]>[0]

/**
 * The proof of a rule: made to breach (its threshold lowered at run time, `provoke` doing the
 * real thing), it fires and arrives in Alertmanager with a Prometheus rule's labels and
 * annotations; put back (`restore`: a rule change, or the real thing undone), it resolves and
 * leaves Alertmanager; its episode is in the
 * history with start, end and peak.
 */
export async function fireAndResolve(
  t: TapTest,
  options: { client: JsonClient; alertmanager: PrivateAlertmanager; rule: string; breach: Record<string, unknown>; restore: Record<string, unknown> | (() => Promise<unknown>); provoke?: () => Promise<unknown>; labels?: Record<string, string | RegExp> },
): Promise<void> {
  const { client, alertmanager, rule } = options
  const changed = await client.put(`/v1/alert-rules/${rule}`, { for: '0s', cooldown: '0s', maxPerHour: 3600, ...options.breach })
  t.equal(changed.status, 200, `${rule} lowered`)
  await options.provoke?.()
  const inAlertmanager = await eventually(`${rule} in Alertmanager`, async () => (await alertmanager.alerts()).find((a) => a.labels.alertname === rule && a.status.state === 'active'))
  t.match(inAlertmanager.labels, { alertname: rule, ...options.labels }, `${rule}: labels`)
  t.ok(/^(critical|warning|info)$/.test(inAlertmanager.labels.severity ?? ''), `${rule}: severity label`)
  t.ok(inAlertmanager.annotations.summary && inAlertmanager.annotations.description, `${rule}: summary and description`)
  t.match(inAlertmanager.annotations.runbook_url, new RegExp(`docs/monitor\\.md#${rule}$`), `${rule}: runbook URL`)
  const listed = (await client.get('/v1/alerts')).body.items.find((a: { rule: string }) => a.rule === rule)
  t.ok(listed, `${rule} is listed by GET /v1/alerts`)

  if (typeof options.restore === 'function') await options.restore()
  else t.equal((await client.put(`/v1/alert-rules/${rule}`, options.restore)).status, 200, `${rule} restored`)
  await eventually(`${rule} to leave Alertmanager`, async () => ((await alertmanager.alerts()).some((a) => a.labels.alertname === rule) ? undefined : true))
  const episode = await eventually(`${rule}'s ended episode`, async () => (await client.get(`/v1/alerts/history?rule=${rule}`)).body.items.find((e: { endedAt: string | null }) => e.endedAt !== null))
  t.ok(Date.parse(episode.endedAt) >= Date.parse(episode.startedAt), `${rule}: the episode has a start and an end`)
  t.equal(typeof episode.peakValue, 'number', `${rule}: and a peak value`)
}
