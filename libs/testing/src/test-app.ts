import { createLogger } from '@latchkey/logger'
import { buildApp, loadProgramConfig, type AppConfig, type TargetRegistry } from '@latchkey/runtime'
import { createTestDatabase } from './test-database.ts'
import { uniqueNamespace } from './test-namespace.ts'
import { removeRedisKeys, uniquePrefix } from './test-redis.ts'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface TestApp {
  app: Awaited<ReturnType<typeof buildApp>>
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:40123 */
  url: string
  config: AppConfig
  close(): Promise<void>
}

/**
 * The program, in this process, with the given services, on free ports and a database, a Redis
 * prefix and a NATS namespace of its own, closed (and its data removed) when the test ends.
 */
export async function startTestApp(
  t: Teardown,
  options: { registry: TargetRegistry; env?: Record<string, string>; databaseUrl?: string },
): Promise<TestApp> {
  const database = options.databaseUrl ? undefined : await createTestDatabase()
  const env = {
    PORT: '0',
    GRPC_PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_KEY_PREFIX: uniquePrefix(),
    NATS_NAMESPACE: options.env?.NATS_NAMESPACE ?? uniqueNamespace(t, options.env?.NATS_URL),
    DATABASE_URL: options.databaseUrl ?? database!.url,
    MIGRATE_ON_START: 'false',
    ...options.env,
  }
  const { config, selected } = loadProgramConfig(options.registry, env)
  const logger = createLogger({ level: config.LOG_LEVEL, name: 'test' })
  const app = await buildApp({ config, registry: options.registry, targets: selected, logger, serviceName: 'latchkey-test', version: 'test' })
  await app.listen({ host: config.HOST, port: config.PORT })
  const { port } = app.server.address() as { port: number }
  let closed = false
  const close = async () => {
    if (closed) return
    closed = true
    await app.close()
  }
  t.teardown(async () => {
    await close()
    await removeRedisKeys(config.REDIS_URL, config.REDIS_KEY_PREFIX)
    await database?.drop()
  })
  return { app, url: `http://127.0.0.1:${port}`, config, close }
}
