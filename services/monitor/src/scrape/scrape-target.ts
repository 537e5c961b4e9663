/** A process whose `/metrics` the monitor reads: over HTTP, or this process's own registry. */
export interface ScrapeTarget {
  /** The `instance` label of its series, e.g. `10.0.3.7:8080` or `self`. */
  instance: string
  read(timeoutMs: number): Promise<string>
}

/** A target reached at `<baseUrl>/metrics`. */
export function httpTarget(baseUrl: string, instance = new URL(baseUrl).host): ScrapeTarget {
  const url = new URL('metrics', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`)
  return {
    instance,
    async read(timeoutMs) {
      const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
      if (!response.ok) throw new Error(`${url} answered ${response.status}`)
      return response.text()
    },
  }
}

/** Parses MONITOR_TARGETS: a comma list of base URLs. */
export function staticTargets(list: string): ScrapeTarget[] {
  return list
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean)
    .map((baseUrl) => httpTarget(baseUrl))
}
