import { randomBytes } from 'node:crypto'
import { jetstreamManager } from '@nats-io/jetstream'
import { connect } from '@nats-io/transport-node'

interface Teardown {
  teardown(fn: () => unknown): void
}

const sharedNatsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

/**
 * A NATS_NAMESPACE nobody else uses (its subjects, streams, consumers and key-value buckets are the
 * test's own on the shared server); everything JetStream holds under it is deleted at teardown.
 */
export function uniqueNamespace(t: Teardown, natsUrl = sharedNatsUrl): string {
  const namespace = `lktest_${randomBytes(5).toString('hex')}`
  t.teardown(() => deleteNamespace(namespace, natsUrl))
  return namespace
}

/**
 * Deletes every stream of a namespace: those named `<NS>_…` (the change and task streams and the
 * key-value buckets `KV_<NS>_…`) and any whose subjects lie under `<ns>.`.
 */
export async function deleteNamespace(namespace: string, natsUrl = sharedNatsUrl): Promise<void> {
  const streamPrefix = namespace.replace(/[^A-Za-z0-9_-]/g, '_').toUpperCase()
  const connection = await connect({ servers: natsUrl, timeout: 3_000 }).catch(() => undefined)
  if (!connection) return
  try {
    const manager = await jetstreamManager(connection)
    for await (const stream of manager.streams.list()) {
      const name = stream.config.name
      const ours = name.startsWith(`${streamPrefix}_`) || name.startsWith(`KV_${streamPrefix}_`) || (stream.config.subjects ?? []).some((s) => s.startsWith(`${namespace}.`))
      if (ours) await manager.streams.delete(name).catch(() => {})
    }
  } finally {
    await connection.close()
  }
}
