// An autocannon run, programmatic: a fixed duration (or a fixed number of requests) of requests
// cycling through the given bodies. Latency percentiles come from every response's own time in
// fractional milliseconds (autocannon's histogram rounds to whole milliseconds).
import autocannon from 'autocannon'
import { Samples } from './stats.ts'

export interface LoadOptions {
  url: string
  method?: 'GET' | 'POST' | 'PUT'
  path: string
  /** Request bodies (JSON text); each connection cycles through all of them, from its own start. */
  bodies?: string[]
  connections: number
  pipelining?: number
  /** Seconds; ignored when `amount` is given. */
  durationSec?: number
  /** Send exactly this many requests (spread over the connections), then stop. */
  amount?: number
}

export interface LoadResult {
  requests: number
  /** Wall time of the run in seconds (first request sent to last answer). */
  seconds: number
  /** Answers per second. */
  rps: number
  /** Per-request latency in ms. */
  latency: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number }
  non2xx: number
  errors: number
  timeouts: number
  connections: number
  pipelining: number
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const method = options.method ?? 'POST'
  const bodies = options.bodies ?? []
  const requestsFrom = (start: number, count: number) => {
    if (bodies.length === 0) return [{ method, path: options.path }]
    return Array.from({ length: count }, (_, i) => ({
      method,
      path: options.path,
      headers: { 'content-type': 'application/json' },
      body: bodies[(start + i) % bodies.length]!,
    }))
  }
  const connections = options.connections
  // With `amount`, connection i sends exactly its share (autocannon's split): give it its own
  // slice so that every body is sent once. Otherwise each cycles from its own offset.
  const shares = options.amount
    ? Array.from({ length: connections }, (_, i) => Math.floor(options.amount! / connections) + (i < options.amount! % connections ? 1 : 0))
    : []
  let client = 0
  const latencies = new Samples()
  // The run's span: from the first request sent to the last answer (autocannon itself reports
  // whole seconds, and ends a fixed-amount run on its next one-second tick).
  let firstSent = Number.POSITIVE_INFINITY
  let lastAnswered = 0
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections,
        pipelining: options.pipelining ?? 1,
        ...(options.amount ? { amount: options.amount } : { duration: options.durationSec ?? 10 }),
        requests: requestsFrom(0, Math.min(bodies.length || 1, 1)),
        setupClient: (c: autocannon.Client) => {
          const i = client++
          if (bodies.length === 0) return
          if (options.amount) {
            const start = shares.slice(0, i).reduce((a, b) => a + b, 0)
            c.setRequests(requestsFrom(start, shares[i]!))
          } else {
            c.setRequests(requestsFrom(Math.floor((i * bodies.length) / connections), bodies.length))
          }
        },
      },
      (err: Error | null, res: autocannon.Result) => (err ? reject(err) : resolve(res)),
    )
    instance.on('response', (_client: autocannon.Client, _status: number, _bytes: number, ms: number) => {
      const now = performance.now()
      latencies.add(ms)
      if (now - ms < firstSent) firstSent = now - ms
      lastAnswered = now
    })
  })
  const seconds = latencies.count > 0 ? (lastAnswered - firstSent) / 1000 : 0
  return {
    requests: latencies.count,
    seconds,
    rps: seconds > 0 ? latencies.count / seconds : 0,
    latency: latencies.summary(),
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    connections,
    pipelining: options.pipelining ?? 1,
  }
}
