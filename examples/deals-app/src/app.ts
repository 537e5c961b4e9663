import { DEAL_STATS_TTL_MS } from '@latchkey/business'
import { cachePlugin } from '@latchkey/cache'
import { parseDuration } from '@latchkey/config'
import { databasePlugin } from '@latchkey/db'
import { l1InvalidationListener, subjects } from '@latchkey/events'
import { createHttpServer, type HttpServer } from '@latchkey/http'
import type { Logger } from '@latchkey/logger'
import { natsPlugin } from '@latchkey/nats'
import { createMetrics, observeProcess } from '@latchkey/telemetry'
import type { DealsAppConfig } from './config.ts'
import { actingUser } from './plugins/acting-user.ts'
import { businessPlugin } from './plugins/business.ts'
import { permissionChecks } from './plugins/permission-checks.ts'
import { commissionRateRoutes } from './routes/commission-rate-routes.ts'
import { dealRoutes } from './routes/deal-routes.ts'
import { figureRoutes } from './routes/figure-routes.ts'

const serviceName = 'latchkey-example-deals-app'

/**
 * The example host application, built from the platform's libraries as a customer would: the
 * HTTP base (errors, health, readiness, metrics, OpenAPI), the shared database, NATS, the tiered
 * cache with its L1 kept fresh by the platform's invalidation fan-out, the permission client,
 * the task client, and the business functions. Fastify closes them in reverse order.
 */
export async function buildDealsApp(config: DealsAppConfig, logger: Logger): Promise<HttpServer> {
  const metrics = createMetrics({ serviceName })
  const app = await createHttpServer({ logger, metrics, title: 'Latchkey example: deals', version: '0.1.0', bodyLimit: config.BODY_LIMIT })
  const stopProcessMetrics = observeProcess(metrics.meter)
  app.addHook('onClose', async () => {
    stopProcessMetrics()
    await metrics.shutdown()
  })
  const names = subjects(config.NATS_NAMESPACE)
  const gapTimeoutMs = parseDuration(config.CACHE_GAP_TIMEOUT)
  const degradedTtlMs = parseDuration(config.CACHE_L1_DEGRADED_TTL)

  // The platform migrates the database; this application only reads and writes it.
  await app.register(databasePlugin, { url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, migrate: false })
  await app.register(natsPlugin, { url: config.NATS_URL, name: serviceName, critical: false })
  await app.register(cachePlugin, {
    meter: metrics.meter,
    prefix: config.REDIS_KEY_PREFIX,
    l1: { enabled: config.CACHE_L1_ENABLED, maxEntries: config.CACHE_L1_MAX_ENTRIES, maxBytes: config.CACHE_L1_MAX_BYTES },
    l2: { enabled: config.CACHE_L2_ENABLED, url: config.REDIS_URL },
    // Partition marks in Redis are shared with the platform's entries of the same organizations:
    // they must outlive this application's entries and the platform's (1 h at most by default).
    longestTtlMs: Math.max(DEAL_STATS_TTL_MS, 3_600_000),
    gapTimeoutMs,
    compressAboveBytes: config.CACHE_COMPRESS_ABOVE,
    warmWindowMs: parseDuration(config.CACHE_WARM_WINDOW),
  })
  if (config.CACHE_L1_ENABLED) await app.register(l1InvalidationListener, { subjects: names, degradedTtlMs, statsIntervalMs: 5_000 })
  await app.register(actingUser)
  await app.register(permissionChecks, {
    address: config.PERMISSION_GRPC_ADDRESS,
    namespace: config.NATS_NAMESPACE,
    deadlineMs: parseDuration(config.PERMISSION_DEADLINE),
    degradedTtlMs,
    gapTimeoutMs,
  })
  await app.register(businessPlugin, { databaseUrl: config.DATABASE_URL, subjects: names })

  dealRoutes(app, app.dealsApp)
  figureRoutes(app, app.dealsApp)
  commissionRateRoutes(app, app.dealsApp)
  return app
}
