import { ConfigError, loadConfig, parseDuration } from '@latchkey/config'
import { createLogger } from '@latchkey/logger'
import { stopOnSignals } from '@latchkey/runtime'
import { buildDealsApp } from './app.ts'
import { DealsAppConfigSchema, type DealsAppConfig } from './config.ts'

// The example application's process: validated configuration (exit 2 naming the bad variable),
// start (exit 1 with the one line naming an unreachable server), serve, and on SIGTERM finish
// what is in flight, close every connection, exit 0.

let config: DealsAppConfig
try {
  config = loadConfig(DealsAppConfigSchema)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  process.stderr.write(`deals-app: ${err.message}\n`)
  process.exit(2)
}
const logger = createLogger({ level: config.LOG_LEVEL, name: 'deals-app' })
let app: Awaited<ReturnType<typeof buildDealsApp>>
try {
  app = await buildDealsApp(config, logger)
  await app.listen({ host: config.HOST, port: config.PORT })
} catch (err) {
  logger.fatal({ err: { name: (err as Error).name } }, (err as Error).message)
  logger.flush()
  process.exit(1)
}
logger.info({ port: (app.server.address() as { port: number }).port, permissionService: config.PERMISSION_GRPC_ADDRESS }, 'deals-app started')

stopOnSignals(app, logger, parseDuration(config.SHUTDOWN_GRACE))
