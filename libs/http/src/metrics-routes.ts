import fp from 'fastify-plugin'
import type { Metrics } from '@latchkey/telemetry'

// Bounds in seconds; they include the seed's slow-API threshold (2 s) and its 1 s slow-query mark.
const durationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10]

/**
 * `/metrics` and the request-duration histogram. The histogram is recorded in `onResponse`, from
 * Fastify's own timing, labelled by route pattern (never the raw URL, which would explode the series).
 */
declare module 'fastify' {
  interface FastifyInstance {
    /** The process's meter: services create their instruments on it. */
    metrics: Metrics
  }
}

export const metricsRoutes = fp<{ metrics: Metrics }>(
  async (fastify, { metrics }) => {
    fastify.decorate('metrics', metrics)
    const duration = metrics.keyedHistogram('http_server_request_duration_seconds', {
      unit: 's',
      description: 'Duration of HTTP requests',
      boundaries: durationBuckets,
    })
    fastify.addHook('onResponse', (request, reply, done) => {
      const method = request.method
      const route = request.routeOptions.url ?? 'unmatched'
      const status = reply.statusCode
      duration.record(reply.elapsedTime / 1000, `${method} ${status} ${route}`, () => ({
        'http.request.method': method,
        'http.route': route,
        'http.response.status_code': status,
      }))
      done()
    })
    fastify.get('/metrics', { schema: { hide: true }, config: { public: true } }, (request, reply) => {
      reply.hijack()
      metrics.serve(request.raw, reply.raw)
    })
  },
  { name: 'metrics-routes' },
)
