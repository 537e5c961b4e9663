import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream'
import { Kvm, type KV } from '@nats-io/kv'
import type { NatsConnection } from '@nats-io/transport-node'
import type { Subjects } from '@latchkey/events'

const nanos = (ms: number) => ms * 1_000_000
/** A retried publish (same `Nats-Msg-Id`) within this window is stored once. */
export const TASK_DUPLICATE_WINDOW_MS = 120_000
/** How long a cancellation is remembered by the workers (longer than any task waits, in practice). */
export const CANCELLATION_TTL_MS = 7 * 24 * 3_600_000

const isNotFound = (err: unknown) => {
  const error = err as { code?: number | string; api_error?: { err_code?: number }; message?: string }
  return error.code === 10059 || error.api_error?.err_code === 10059 || /stream not found/i.test(String(error.message))
}

/**
 * Creates (or updates) the task stream: work-queue retention (a task's message is gone once a
 * worker acknowledged it), file storage, and a duplicate window so that a retried publish is
 * stored once. One subject per queue and lane; one durable consumer per subject (the worker's).
 */
export async function ensureTaskStream(connection: NatsConnection, names: Subjects): Promise<JetStreamManager> {
  const manager = await jetstreamManager(connection)
  const config = {
    name: names.taskStream,
    subjects: [names.allTasks],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    duplicate_window: nanos(TASK_DUPLICATE_WINDOW_MS),
  }
  try {
    await manager.streams.info(names.taskStream)
  } catch (err) {
    if (!isNotFound(err)) throw err
    await manager.streams.add(config).catch(async (addErr: Error) => {
      // Another process created it at the same instant.
      if (!/already in use|already exists/i.test(addErr.message)) throw addErr
    })
  }
  return manager
}

/** The key-value bucket of cancelled task ids (key: the id), remembered for a week. */
export async function openCancellationBucket(connection: NatsConnection, names: Subjects): Promise<KV> {
  return new Kvm(connection).create(names.taskCancellations, { ttl: CANCELLATION_TTL_MS, history: 1 })
}
