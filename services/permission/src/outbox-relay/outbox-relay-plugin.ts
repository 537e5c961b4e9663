import fp from 'fastify-plugin'
import type { Subjects } from '@latchkey/events'
import type { Meter } from '@latchkey/telemetry'
import { OutboxRelay } from './outbox-relay.ts'

/**
 * Runs the outbox relay in every permission process; one of them (per database) publishes at a
 * time, the others stand by. Stopped before the database and NATS connections close.
 */
export const outboxRelayPlugin = fp<{ databaseUrl: string; subjects: Subjects; meter: Meter }>(
  async (fastify, options) => {
    const relay = new OutboxRelay({ ...options, connection: fastify.nats, log: fastify.log })
    fastify.addHook('onReady', async () => relay.start())
    fastify.addHook('onClose', async () => relay.stop())
  },
  { name: 'outbox-relay', dependencies: ['nats'] },
)
