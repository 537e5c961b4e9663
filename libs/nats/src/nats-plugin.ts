import fp from 'fastify-plugin'
import type { NatsConnection } from '@nats-io/transport-node'
import type {} from '@latchkey/http'
import { connectNats } from './connect-nats.ts'
import { observeNats } from './nats-metrics.ts'

declare module 'fastify' {
  interface FastifyInstance {
    nats: NatsConnection
  }
}

/**
 * The process's one NATS connection, watched by `/readyz` (down while reconnecting when the
 * process's services cannot work without it, degraded otherwise) and drained on close.
 */
export const natsPlugin = fp<{ url: string; name: string; critical: boolean }>(
  async (fastify, options) => {
    const connection = await connectNats({ url: options.url, name: options.name, logger: fastify.log })
    fastify.decorate('nats', connection)
    observeNats(fastify.metrics.meter, connection)
    let reconnecting = false
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'disconnect') reconnecting = true
        else if (status.type === 'reconnect') reconnecting = false
      }
    })()
    fastify.readiness.add({
      name: 'nats',
      critical: options.critical,
      check: () =>
        connection.isClosed()
          ? { state: 'down', detail: 'connection closed' }
          : reconnecting
            ? { state: options.critical ? 'down' : 'degraded', detail: `reconnecting to ${options.url}` }
            : { state: 'up' },
    })
    fastify.addHook('onClose', async () => {
      await connection.drain().catch(() => connection.close())
    })
  },
  { name: 'nats', dependencies: ['readiness', 'metrics-routes'] },
)
