import { connect } from '@nats-io/transport-node'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Log } from '@latchkey/logger'

/** Raised at boot when NATS cannot be reached; its message is the one line an operator needs. */
export class NatsUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(
      `NATS is unreachable at ${url} (${cause instanceof Error ? cause.message : String(cause)}). ` +
        'Start it with JetStream enabled, e.g. `nats-server -js`, or set NATS_URL.',
    )
    this.name = 'NatsUnreachableError'
  }
}

/**
 * Connects once (failing fast with a clear message), then reconnects forever: a NATS outage while
 * running degrades the service, it never ends the process.
 */
export async function connectNats(options: { url: string; name: string; logger: Log }): Promise<NatsConnection> {
  let connection: NatsConnection
  try {
    connection = await connect({
      servers: options.url.split(','),
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      timeout: 3_000,
    })
  } catch (err) {
    throw new NatsUnreachableError(options.url, err)
  }
  void watchStatus(connection, options.logger)
  return connection
}

async function watchStatus(connection: NatsConnection, logger: Log): Promise<void> {
  for await (const status of connection.status()) {
    if (status.type === 'disconnect') logger.warn({ server: status.server }, 'NATS disconnected; reconnecting')
    else if (status.type === 'reconnect') logger.info({ server: status.server }, 'NATS reconnected')
    else if (status.type === 'error') logger.warn({ err: status.error }, 'NATS error')
  }
}
