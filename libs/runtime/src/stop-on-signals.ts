import type { HttpServer } from '@latchkey/http'
import type { Logger } from '@latchkey/logger'

/**
 * On SIGTERM or SIGINT: stop taking new work (`/readyz` answers 503 while draining), let what is
 * in flight finish and close every connection within `graceMs`, then exit 0; exit 1 when closing
 * fails or the grace period runs out. `afterClose` runs last (e.g. exporting the last spans).
 */
export function stopOnSignals(app: HttpServer, logger: Logger, graceMs: number, afterClose?: () => Promise<void> | undefined): void {
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal, graceMs }, 'stopping: no new work, finishing what is in flight')
    app.readiness.draining = true
    setTimeout(() => {
      logger.error('grace period over before everything closed; exiting')
      process.exit(1)
    }, graceMs).unref()
    try {
      await app.close()
      await afterClose?.()
      logger.info('stopped')
      process.exit(0)
    } catch (err) {
      logger.error({ err }, 'error while stopping')
      process.exit(1)
    }
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
}
