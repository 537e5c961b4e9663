/**
 * A process's tracing, configured only by the standard OpenTelemetry variables. It is on when the
 * process is told where spans go (an OTLP endpoint, or a traces exporter); `OTEL_SERVICE_NAME`
 * alone only names the process. While it is off nothing is loaded, hooked or wrapped: the SDK and
 * the instrumentations are imported only when it is on (see tracing-sdk.ts).
 */
export interface Tracing {
  readonly enabled: boolean
  /** Starts recording and exporting spans under the process's service name. */
  start(serviceName: string): void
  /** Exports the spans still buffered (waiting for the collector 2 s at most), then stops. */
  shutdown(): Promise<void>
}

const destinationVariables = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_TRACES_EXPORTER']

/** Whether the environment asks for tracing (and does not turn the SDK or its traces off). */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false
  if (env.OTEL_TRACES_EXPORTER?.split(',').some((name) => name.trim() === 'none')) return false
  return destinationVariables.some((name) => (env[name] ?? '').trim() !== '')
}

let started = false

/**
 * True once spans are recorded. Code that would only create spans or write trace headers asks
 * this first, so that with tracing off it costs one function call.
 */
export const tracingStarted = (): boolean => started

const flushLimitMs = 2_000

const off: Tracing = { enabled: false, start: () => {}, shutdown: async () => {} }

/**
 * Prepares tracing when the environment asks for it: must run before the instrumented modules
 * (pg, ioredis, fastify) are first imported, which is why the program calls it before it imports
 * the services. The span exporter starts with `start`, once the process knows its name.
 */
export async function prepareTracing(env: NodeJS.ProcessEnv = process.env): Promise<Tracing> {
  if (!tracingRequested(env)) return off
  const { hookInstrumentations } = await import('./tracing-sdk.ts')
  const sdk = await hookInstrumentations()
  return {
    enabled: true,
    start: (serviceName) => {
      sdk.start(serviceName)
      started = true
    },
    shutdown: async () => {
      started = false
      // An unreachable collector must not hold up a graceful stop: what it missed is lost.
      let timer: NodeJS.Timeout | undefined
      await Promise.race([sdk.shutdown().catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, flushLimitMs)))])
      clearTimeout(timer)
    },
  }
}
