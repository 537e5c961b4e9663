import { register } from 'node:module'
import { FastifyOtelInstrumentation } from '@fastify/otel'
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis'
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg'
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici'
import { NodeSDK } from '@opentelemetry/sdk-node'
import { createAddHookMessageChannel } from 'import-in-the-middle'

/** Routes polled by probes and scrapers: a span each would drown the traces that matter. */
const untracedPaths = new Set(['/healthz', '/readyz', '/metrics'])
const isUntraced = (url: string) => {
  const path = url.split('?', 1)[0]!
  return untracedPaths.has(path) || path.startsWith('/docs')
}

/**
 * Hooks the instrumented modules (loaded later by the program) and answers how to start and stop
 * the SDK. Only imported when tracing is on.
 *
 * pg is CommonJS and patched through `require` hooks; ioredis is imported from ES modules, which
 * only a loader hook (import-in-the-middle) can patch: it is registered here for exactly the
 * modules the instrumentations name, and waited for, before anything imports them. Fastify and
 * undici (fetch) publish diagnostics-channel events, which need no hook at all.
 */
export async function hookInstrumentations(): Promise<{ start(serviceName: string): void; shutdown(): Promise<void> }> {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel()
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions)
  const instrumentations = [
    // Only queries made on behalf of a traced operation: the relay's and the task store's polling
    // would otherwise start a trace every second.
    new PgInstrumentation({ requireParentSpan: true }),
    new IORedisInstrumentation({ requireParentSpan: true }),
    new UndiciInstrumentation({ requireParentforSpans: true }),
    new FastifyOtelInstrumentation({
      registerOnInitialization: true,
      // One span per request and one for its handler; a span per lifecycle hook is noise here.
      instrumentHooks: false,
      ignorePaths: (route) => isUntraced(route.url),
      // HTTP semantic conventions: a server span is named "{method} {route}".
      requestHook: (span, request) => span.updateName(request.routeOptions.url ? `${request.method} ${request.routeOptions.url}` : request.method),
      // The handler span (which also carries the request's context into the handler, past body
      // parsing) would be named after the whole plugin chain: named after the route instead.
      lifecycleHook: (span, info) => span.updateName(`${info.hookName} ${info.request.routeOptions.url ?? ''}`.trim()),
    }),
  ]
  await waitForAllMessagesAcknowledged()

  let sdk: NodeSDK | undefined
  return {
    start: (serviceName) => {
      // Traces only: metrics stay with the process's own MeterProvider (served at /metrics), and
      // logs go to stdout, so the SDK gets no metric reader and no log processor of its own.
      sdk = new NodeSDK({ serviceName, instrumentations, metricReaders: [], logRecordProcessors: [] })
      sdk.start()
    },
    shutdown: async () => {
      await sdk?.shutdown()
    },
  }
}
