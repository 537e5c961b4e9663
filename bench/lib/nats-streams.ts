// The NATS side of a benchmark run: the largest message the server accepts, and removing the
// change streams a run's namespaces created (they are kept 7 days otherwise).
import { jetstreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { subjects } from '@latchkey/events'

async function withNats<T>(url: string, work: (nc: NatsConnection) => Promise<T>): Promise<T | undefined> {
  let nc: NatsConnection | undefined
  try {
    nc = await connect({ servers: url, timeout: 2_000, reconnect: false })
    return await work(nc)
  } catch {
    return undefined
  } finally {
    await nc?.close().catch(() => {})
  }
}

/** The server's max_payload (bytes), as announced to clients. */
export function natsMaxPayload(url: string): Promise<number | undefined> {
  return withNats(url, async (nc) => nc.info?.max_payload)
}

/** Deletes `<NS>_CHANGES` of each namespace; quietly skips those that do not exist. */
export async function removeChangeStreams(url: string, namespaces: string[]): Promise<void> {
  await withNats(url, async (nc) => {
    const manager = await jetstreamManager(nc)
    for (const ns of namespaces) await manager.streams.delete(subjects(ns).changeStream).catch(() => false)
  })
}
