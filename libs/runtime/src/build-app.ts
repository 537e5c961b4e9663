import { cachePlugin, type CacheConfig } from '@latchkey/cache'
import { parseDuration } from '@latchkey/config'
import { databasePlugin } from '@latchkey/db'
import { createHttpServer, type HttpServer } from '@latchkey/http'
import type { Logger } from '@latchkey/logger'
import { l1InvalidationListener, subjects } from '@latchkey/events'
import { natsPlugin } from '@latchkey/nats'
import { createMetrics, observeProcess } from '@latchkey/telemetry'
import type { FastifyInstance } from 'fastify'
import type { ProgramConfig } from './program-config.ts'
import type { TargetRegistry } from './target.ts'

export type AppConfig = ProgramConfig & CacheConfig & Record<string, unknown>

const longestCacheTtl = (config: Record<string, unknown>) =>
  Math.max(
    ...Object.entries(config)
      .filter(([name, value]) => name.startsWith('CACHE_TTL_') && typeof value === 'string')
      .map(([, value]) => parseDuration(value as string)),
    3_600_000,
  )

/**
 * One process: the HTTP base, then the shared connections (PostgreSQL, NATS, and the cache where
 * a service uses one), then each selected service. Fastify closes them in reverse order.
 */
export async function buildApp(options: {
  config: AppConfig
  registry: TargetRegistry
  targets: string[]
  logger: Logger
  serviceName: string
  version: string
}): Promise<HttpServer> {
  const { config, registry } = options
  const metrics = createMetrics({ serviceName: options.serviceName })
  const app = await createHttpServer({
    logger: options.logger,
    metrics,
    title: 'Latchkey',
    version: options.version,
    bodyLimit: config.BODY_LIMIT,
    logRequests: config.LOG_REQUESTS,
    slowRequestMs: parseDuration(config.HTTP_SLOW_REQUEST_THRESHOLD),
  })
  const stopProcessMetrics = observeProcess(metrics.meter)
  app.addHook('onClose', async () => {
    stopProcessMetrics()
    await metrics.shutdown()
  })

  await app.register(databasePlugin, { url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE, migrate: config.MIGRATE_ON_START, slowQueryMs: parseDuration(config.DB_SLOW_QUERY_THRESHOLD) })
  const selected = options.targets.map((name) => registry[name]!)
  const natsCritical = selected.some((target) => !target.uses.natsOptional)
  const localCache = config.CACHE_L1_ENABLED && selected.some((target) => target.uses.localCache)
  await app.register(natsPlugin, { url: config.NATS_URL, name: options.serviceName, critical: natsCritical })
  app.decorate('subjects', subjects(config.NATS_NAMESPACE))
  if (selected.some((target) => target.uses.cache)) {
    await app.register(cachePlugin, {
      meter: metrics.meter,
      prefix: config.REDIS_KEY_PREFIX,
      l1: { enabled: localCache, maxEntries: config.CACHE_L1_MAX_ENTRIES, maxBytes: config.CACHE_L1_MAX_BYTES },
      l2: { enabled: config.CACHE_L2_ENABLED, url: config.REDIS_URL },
      longestTtlMs: longestCacheTtl(config),
      gapTimeoutMs: parseDuration(config.CACHE_GAP_TIMEOUT),
      compressAboveBytes: config.CACHE_COMPRESS_ABOVE,
      warmWindowMs: parseDuration(config.CACHE_WARM_WINDOW),
    })
    if (localCache) {
      await app.register(l1InvalidationListener, {
        subjects: app.subjects,
        degradedTtlMs: parseDuration(config.CACHE_L1_DEGRADED_TTL),
        statsIntervalMs: 5_000,
      })
    }
  }
  for (const name of options.targets) {
    await registry[name]!.register(app as unknown as FastifyInstance, config)
  }
  return app
}
