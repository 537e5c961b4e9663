// Shared helpers of the monitor's tests: the program with the monitor (and whatever else a test
// needs) in this process, with a database of its own and fast rounds, and a JSON client.
import { readJsonResponse, startTestApp, type TestApp } from '@latchkey/testing'
import type { TargetRegistry } from '@latchkey/runtime'
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

export interface ApiResponse<T = any> {
  status: number
  body: T
}

export function api(baseUrl: string) {
  const request = async <T>(method: string, path: string, body?: unknown): Promise<ApiResponse<T>> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    })
    const { status, body: json } = await readJsonResponse<T>(response)
    return { status, body: json }
  }
  return {
    get: <T = any>(path: string) => request<T>('GET', path),
    put: <T = any>(path: string, body: unknown) => request<T>('PUT', path, body),
    post: <T = any>(path: string, body?: unknown) => request<T>('POST', path, body),
  }
}

/** Polls `probe` until it returns something other than undefined (or fails after `timeoutMs`). */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
