import fp from 'fastify-plugin'
import type {} from '@latchkey/events'
import type { HttpServer } from '@latchkey/http'
import { InvalidationConsumer } from './invalidation-consumer.ts'
import { L1StatsCollector } from './l1-stats-collector.ts'
import { statsRoute } from './stats-route.ts'
import { warmRoute } from './warm-route.ts'

/**
 * The cache-invalidator: applies every change event to Redis and fans it out to every L1, and
 * shows the platform's caches at `/v1/cache/stats`. Replicas share one durable consumer.
 */
export const cacheInvalidatorService = fp(
  async (fastify) => {
    const consumer = new InvalidationConsumer({ connection: fastify.nats, subjects: fastify.subjects, cache: fastify.cache, log: fastify.log, meter: fastify.metrics.meter })
    const collector = new L1StatsCollector(30_000)
    statsRoute(fastify as unknown as HttpServer, { cache: fastify.cache, collector, consumer })
    warmRoute(fastify as unknown as HttpServer, { connection: fastify.nats, subjects: fastify.subjects })
    fastify.addHook('onReady', async () => {
      collector.start(fastify.nats, fastify.subjects)
      await consumer.start()
    })
    fastify.addHook('onClose', async () => {
      collector.stop()
      await consumer.stop()
    })
  },
  { name: 'cache-invalidator-service', dependencies: ['nats', 'cache'] },
)
