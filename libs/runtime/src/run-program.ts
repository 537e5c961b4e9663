import { ConfigError, parseDuration } from '@latchkey/config'
import { createLogger } from '@latchkey/logger'
import type { Tracing } from '@latchkey/telemetry'
import { buildApp } from './build-app.ts'
import { loadProgramConfig } from './load-program-config.ts'
import { stopOnSignals } from './stop-on-signals.ts'
import { UnknownTargetError, type TargetRegistry } from './target.ts'

/**
 * The life of a process: validate the configuration (exit 2 naming what is wrong), start the
 * selected services (exit 1 with one line naming an unreachable server), serve, and on SIGTERM
 * stop taking work, let what is in flight finish within the grace period, close, exit 0.
 * `tracing` (prepared before the services were imported) starts under the process's name and
 * exports its last spans on the way out.
 */
export async function runProgram(registry: TargetRegistry, version: string, tracing?: Tracing): Promise<void> {
  let loaded: ReturnType<typeof loadProgramConfig>
  try {
    loaded = loadProgramConfig(registry)
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UnknownTargetError) {
      process.stderr.write(`latchkey: ${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  const { config, selected } = loaded
  const serviceName = config.OTEL_SERVICE_NAME ?? `latchkey-${selected.length === Object.keys(registry).length ? 'all' : selected.join('-')}`
  tracing?.start(serviceName)
  const logger = createLogger({ level: config.LOG_LEVEL, name: serviceName, base: { targets: selected }, traceIds: tracing?.enabled ?? false })

  let app: Awaited<ReturnType<typeof buildApp>>
  try {
    app = await buildApp({ config, registry, targets: selected, logger, serviceName, version })
    await app.listen({ host: config.HOST, port: config.PORT })
  } catch (err) {
    logger.fatal({ err: { name: (err as Error).name, code: (err as { code?: string }).code } }, (err as Error).message)
    logger.flush()
    await tracing?.shutdown()
    process.exit(1)
  }
  logger.info({ version, port: (app.server.address() as { port: number }).port }, 'latchkey started')

  stopOnSignals(app, logger, parseDuration(config.SHUTDOWN_GRACE), () => tracing?.shutdown())
}
