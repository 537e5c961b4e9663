import fp from 'fastify-plugin'
import { KeyedCounter, type Metrics } from '@latchkey/telemetry'

// Bounds in seconds; they include the seed's slow-API threshold (2 s) and its 1 s slow-query mark.
const durationBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10]

/**
 * `/metrics`, the request-duration histogram and the slow-request counter. Both are recorded in
 * `onResponse`, from Fastify's own timing, labelled by route pattern (never the raw URL, which
 * would explode the series).
 */
declare module 'fastify' {
  interface FastifyInstance {
    /** The process's meter: services create their instruments on it. */
    metrics: Metrics
  }
}

export const metricsRoutes = fp<{ metrics: Metrics; slowRequestMs: number }>(
  async (fastify, { metrics, slowRequestMs }) => {
    fastify.decorate('metrics', metrics)
    const duration = metrics.keyedHistogram('http_server_request_duration_seconds', {
      unit: 's',
      description: 'Duration of HTTP requests',
      boundaries: durationBuckets,
    })
    const slow = new KeyedCounter()
    metrics.meter
      .createObservableCounter('latchkey_http_slow_requests', { description: 'HTTP requests that took at least the slow-request threshold (HTTP_SLOW_REQUEST_THRESHOLD)' })
      .addCallback((result) => slow.observe(result))
    fastify.addHook('onResponse', (request, reply, done) => {
      const method = request.method
      const route = request.routeOptions.url ?? 'unmatched'
      const status = reply.statusCode
      const key = `${method} ${status} ${route}`
      const attributes = () => ({ 'http.request.method': method, 'http.route': route, 'http.response.status_code': status })
      duration.record(reply.elapsedTime / 1000, key, attributes)
      if (reply.elapsedTime >= slowRequestMs) slow.add(key, attributes)
      done()
    })
    fastify.get('/metrics', { schema: { hide: true }, config: { public: true } }, (request, reply) => {
      reply.hijack()
      metrics.serve(request.raw, reply.raw)
    })
  },
  { name: 'metrics-routes' },
)
