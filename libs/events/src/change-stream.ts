import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Subjects } from './subjects.ts'

const nanos = (ms: number) => ms * 1_000_000

/**
 * Creates (or updates) the stream of change events: file storage, kept 7 days, and a 2-minute
 * duplicate window so that a relay retrying a publish (same `Nats-Msg-Id`) is stored once.
 */
export async function ensureChangeStream(connection: NatsConnection, names: Subjects): Promise<JetStreamManager> {
  const manager = await jetstreamManager(connection)
  const config = {
    name: names.changeStream,
    subjects: [names.allChanges],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: nanos(7 * 24 * 3_600_000),
    duplicate_window: nanos(120_000),
  }
  try {
    await manager.streams.info(names.changeStream)
    await manager.streams.update(names.changeStream, config)
  } catch (err) {
    // 10059: stream not found.
    const error = err as { code?: number | string; api_error?: { err_code?: number } }
    if (error.code !== 10059 && error.api_error?.err_code !== 10059) throw err
    await manager.streams.add(config)
  }
  return manager
}
