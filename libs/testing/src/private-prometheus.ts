import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './private-redis.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** An alert as Alertmanager's v2 API lists it. */
export interface AlertmanagerAlert {
  labels: Record<string, string>
  annotations: Record<string, string>
  startsAt: string
  endsAt: string
  status: { state: 'active' | 'suppressed' | 'unprocessed' }
}

export interface PrivateAlertmanager {
  url: string
  /** The alerts it holds now (resolved ones are gone). */
  alerts(): Promise<AlertmanagerAlert[]>
}

export interface PrivatePrometheus {
  url: string
  /** Alerts its rules fire now (`/api/v1/alerts`). */
  alerts(): Promise<Array<{ labels: Record<string, string>; state: 'pending' | 'firing'; value: string }>>
  /** The instant value of a PromQL expression (`/api/v1/query`). */
  query(expression: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>
}

/**
 * Runs a server binary in a temporary folder of its own, waits until `readyPath` answers 200, and
 * kills it and removes the folder when the test ends.
 */
async function startServer(t: Teardown, options: { port?: number; binary: string; args: (dir: string, port: number) => string[]; files: (dir: string) => Record<string, string>; readyPath: string }) {
  const port = options.port ?? (await freePort())
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-prom-'))
  for (const [name, content] of Object.entries(options.files(dir))) writeFileSync(join(dir, name), content)
  const output: string[] = []
  const child: ChildProcess = spawn(options.binary, options.args(dir, port), { stdio: ['ignore', 'ignore', 'pipe'] })
  child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()))
  const exited = new Promise((resolve) => child.once('exit', resolve))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL')
      await exited
    }
    rmSync(dir, { recursive: true, force: true })
  })
  const url = `http://127.0.0.1:${port}`
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`${options.binary} exited at start:\n${output.join('')}`)
    const ready = await fetch(`${url}${options.readyPath}`).then((r) => r.ok, () => false)
    if (ready) return url
    if (waited > 20_000) throw new Error(`${options.binary} not ready after 20 s:\n${output.join('')}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

const getJson = async <T>(url: string): Promise<T> => {
  const response = await fetch(url)
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${await response.text()}`)
  return (await response.json()) as T
}

/**
 * Debian's `prometheus-alertmanager` of the test's own (no cluster, a receiver that sends nothing,
 * grouping that lets each alert through at once), so tests see exactly what the monitor sent.
 * `port`: a port chosen beforehand (a test that starts Alertmanager only after its client).
 */
export async function startAlertmanager(t: Teardown, options: { port?: number } = {}): Promise<PrivateAlertmanager> {
  const config = ['route:', '  receiver: none', '  group_by: [alertname]', '  group_wait: 0s', '  group_interval: 1s', '  repeat_interval: 1h', 'receivers:', '  - name: none', ''].join('\n')
  const url = await startServer(t, {
    port: options.port,
    binary: 'prometheus-alertmanager',
    files: () => ({ 'alertmanager.yml': config }),
    args: (dir, port) => [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address=', '--log.level=warn'],
    readyPath: '/-/ready',
  })
  return { url, alerts: () => getJson<AlertmanagerAlert[]>(`${url}/api/v2/alerts`) }
}

/**
 * Debian's `prometheus` of the test's own: scrapes `targets` (base URLs) every second, evaluates
 * `rules` (a rules file's YAML) every second and sends alerts to `alertmanagerUrl`.
 */
export async function startPrometheus(t: Teardown, options: { targets: string[]; rules?: string; alertmanagerUrl?: string }): Promise<PrivatePrometheus> {
  const hosts = options.targets.map((target) => new URL(target).host)
  const config = [
    'global: { scrape_interval: 1s, evaluation_interval: 1s, scrape_timeout: 900ms }',
    `scrape_configs: [{ job_name: latchkey, static_configs: [{ targets: ${JSON.stringify(hosts)} }] }]`,
    ...(options.rules ? ['rule_files: [rules.yml]'] : []),
    ...(options.alertmanagerUrl ? [`alerting: { alertmanagers: [{ static_configs: [{ targets: [${JSON.stringify(new URL(options.alertmanagerUrl).host)}] }] }] }`] : []),
    '',
  ].join('\n')
  const url = await startServer(t, {
    binary: 'prometheus',
    files: () => ({ 'prometheus.yml': config, ...(options.rules ? { 'rules.yml': options.rules } : {}) }),
    args: (dir, port) => [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    readyPath: '/-/ready',
  })
  return {
    url,
    alerts: async () => (await getJson<{ data: { alerts: Awaited<ReturnType<PrivatePrometheus['alerts']>> } }>(`${url}/api/v1/alerts`)).data.alerts,
    query: async (expression) => (await getJson<{ data: { result: Awaited<ReturnType<PrivatePrometheus['query']>> } }>(`${url}/api/v1/query?query=${encodeURIComponent(expression)}`)).data.result,
  }
}
