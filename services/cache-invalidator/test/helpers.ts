// Shared setup of the cache-invalidator's tests. They run the REAL program as child processes
// (spawnProgram): permission replicas and a cache-invalidator sharing one database, one Redis key
// prefix and one NATS namespace, all of their own, so tests never see each other. Also here: writes
// and waits of these tests, and read-only access to what the processes share (the outbox table, the
// change stream, Redis) for assertions. (The JSON client, the organization fixture and polling with
// a deadline are @latchkey/testing's.)
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import {
  createTestDatabase,
  expect2xx,
  jsonClient,
  queryDatabase,
  removeRedisKeys,
  spawnProgram,
  timeUntil,
  uniqueNamespace,
  uniquePrefix,
  waitFor,
  type JsonClient,
  type ProgramProcess,
  type WaitForOptions,
} from '@latchkey/testing'
import type { ChangeEvent } from '@latchkey/events'
import { Redis } from 'ioredis'
import type tap from 'tap'
import { CONSUMER_NAME } from '../src/index.ts'

/** The `t` a test callback receives. */
export type TapTest = Parameters<Parameters<typeof tap.test>[0]>[0]
type Teardown = { teardown(fn: () => unknown): void }

export const SHARED_NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'
export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

// ---------------------------------------------------------------------------------------------
// The deployment: processes sharing a database, a Redis prefix and a NATS namespace
// ---------------------------------------------------------------------------------------------

export interface Replica extends JsonClient {
  name: string
  target: string
  pid: number
  process: ProgramProcess
  /** POST /v1/check; throws unless 200. */
  check(org: string, user: string, permission: string, atLeastRevision?: string): Promise<{ allowed: boolean; revision: string }>
  /** GET /metrics as text. */
  metrics(): Promise<string>
}

export interface Deployment {
  databaseUrl: string
  natsUrl: string
  redisUrl: string
  /** NATS_NAMESPACE of this deployment (subjects `<ns>.…`, stream `<NS>_CHANGES`). */
  namespace: string
  stream: string
  redisPrefix: string
  /** The variables every process of the deployment gets. */
  env: Record<string, string>
  replicas: Replica[]
  /** Starts one more process of the deployment (`TARGET=target`), with `env` on top of the shared one. */
  start(name: string, target: string, env?: Record<string, string>): Promise<Replica>
}

export interface DeploymentOptions {
  /** Defaults: the machine's shared NATS and Redis (isolated by namespace and prefix). */
  natsUrl?: string
  redisUrl?: string
  env?: Record<string, string>
}

/**
 * A database, a Redis key prefix and a NATS namespace of the test's own; processes are started
 * with `start`. At the end: processes killed, then the database dropped, the Redis keys and the
 * change stream removed. When the test failed, each process's last log lines are printed.
 */
export async function createDeployment(t: TapTest, options: DeploymentOptions = {}): Promise<Deployment> {
  const database = await createTestDatabase()
  const natsUrl = options.natsUrl ?? SHARED_NATS_URL
  const namespace = uniqueNamespace(t, natsUrl)
  const redisUrl = options.redisUrl ?? SHARED_REDIS_URL
  const redisPrefix = uniquePrefix()
  const stream = `${namespace.toUpperCase()}_CHANGES`
  const replicas: Replica[] = []
  // Teardowns run last-registered first: these run after every process started below is killed.
  t.teardown(async () => {
    await database.drop().catch(() => {})
    await removeRedisKeys(redisUrl, redisPrefix)
  })
  t.teardown(() => {
    if (t.passing()) return
    for (const replica of replicas) t.comment(`--- last output of ${replica.name} (${replica.target}, pid ${replica.pid}):\n${replica.process.output.slice(-40).join('\n')}`)
  })
  const env: Record<string, string> = {
    DATABASE_URL: database.url,
    MIGRATE_ON_START: 'false',
    NATS_URL: natsUrl,
    NATS_NAMESPACE: namespace,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: redisPrefix,
    LOG_LEVEL: 'info',
    ...options.env,
  }
  const deployment: Deployment = {
    databaseUrl: database.url,
    natsUrl,
    redisUrl,
    namespace,
    stream,
    redisPrefix,
    env,
    replicas,
    start: async (name, target, extra = {}) => {
      const process = await spawnProgram(t, { ...env, TARGET: target, OTEL_SERVICE_NAME: `latchkey-${name}`, ...extra }, { timeoutMs: 60_000 })
      const client = jsonClient(process.url, { timeoutMs: 15_000 })
      const replica: Replica = {
        ...client,
        name,
        target,
        pid: process.child.pid!,
        process,
        check: async (org, user, permission, atLeastRevision) => {
          const res = await client.post('/v1/check', { org, user, permission, ...(atLeastRevision === undefined ? {} : { atLeastRevision }) })
          return expect2xx(res, `${name}: POST /v1/check ${org} ${user} ${permission} ${atLeastRevision ?? ''}`).body
        },
        metrics: async () => (await fetch(`${process.url}/metrics`)).text(),
      }
      replicas.push(replica)
      return replica
    },
  }
  return deployment
}

export interface Cluster {
  deployment: Deployment
  /** Permission replica the tests write on. */
  a: Replica
  /** Permission replica the tests read on. */
  b: Replica
  invalidator: Replica
}

/**
 * The deployment: two permission replicas (TARGET=permission) and one cache-invalidator
 * (TARGET=cache-invalidator), started together. Each has finished starting (its durable consumer
 * and subscriptions exist) when this resolves.
 */
export async function startCluster(t: TapTest, options: DeploymentOptions = {}): Promise<Cluster> {
  const deployment = await createDeployment(t, options)
  const started = performance.now()
  const [invalidator, a, b] = await Promise.all([
    deployment.start('invalidator', 'cache-invalidator'),
    deployment.start('a', 'permission'),
    deployment.start('b', 'permission'),
  ])
  t.comment(`the three processes started in ${(performance.now() - started).toFixed(0)} ms`)
  return { deployment, a: a!, b: b!, invalidator: invalidator! }
}

// ---------------------------------------------------------------------------------------------
// Polling
// ---------------------------------------------------------------------------------------------

/** Polls a check on `replica` (every `intervalMs`) until it answers `allowed`; the time it took. */
export async function waitForAnswer(
  replica: Replica,
  input: { org: string; user: string; permission: string },
  allowed: boolean,
  options: WaitForOptions = {},
): Promise<{ elapsedMs: number; staleAnswers: number }> {
  let staleAnswers = 0
  const { elapsedMs } = await timeUntil(
    `${replica.name} to answer allowed=${allowed} for ${input.user} ${input.permission}`,
    async () => {
      const answer = await replica.check(input.org, input.user, input.permission)
      if (answer.allowed === allowed) return true
      staleAnswers++
      return undefined
    },
    { intervalMs: 5, ...options },
  )
  return { elapsedMs, staleAnswers }
}

export const summarize = (values: number[]): string => {
  if (values.length === 0) return 'no samples'
  const sorted = [...values].sort((x, y) => x - y)
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1)
  return `n=${sorted.length} min=${sorted[0]!.toFixed(1)} p50=${at(0.5)} p90=${at(0.9)} max=${sorted.at(-1)!.toFixed(1)} ms`
}

// ---------------------------------------------------------------------------------------------
// Writes and bulk reads beyond the organization fixture
// ---------------------------------------------------------------------------------------------

/**
 * Many members at once, in one SQL transaction (through the API, each membership is a write
 * serialized on the organization's row: a minute for hundreds on a busy machine). Use it only for
 * users nothing has cached yet, since it skips the change events. Member i gets `roleOf(i)`.
 */
export async function insertMembers(databaseUrl: string, orgId: string, users: string[], roleOf: (index: number) => string): Promise<void> {
  await queryDatabase(
    databaseUrl,
    `WITH new_users AS (
       INSERT INTO users (id, email, updated_at) SELECT u, u || '@example.test', now() FROM unnest($1::text[]) AS u RETURNING id
     )
     INSERT INTO member_roles (org_id, user_id, role_id)
     SELECT $2::uuid, x.u, r.id FROM unnest($1::text[], $3::text[]) AS x(u, role) JOIN roles r ON r.org_id = $2::uuid AND r.name = x.role`,
    [users, orgId, users.map((_, i) => roleOf(i))],
  )
}

/**
 * The answers of `replica` for one permission of many users, read with bulk checks of 40 (a cold
 * bulk check of hundreds of users runs that many queries at once against a pool of 10, which can
 * time out on a busy machine).
 */
export async function bulkAnswers(replica: Replica, slug: string, users: string[], permission: string, atLeastRevision?: string): Promise<boolean[]> {
  const answers: boolean[] = []
  for (let i = 0; i < users.length; i += 40) {
    const checks = users.slice(i, i + 40).map((user) => ({ org: slug, user, permission, ...(atLeastRevision ? { atLeastRevision } : {}) }))
    answers.push(...expect2xx(await replica.post('/v1/check/bulk', { checks }), 'bulk check').body.results.map((r: { allowed: boolean }) => r.allowed))
  }
  return answers
}

/** PUT /v1/orgs/:org/members/:user; answers the new revision. */
export async function setMembership(client: JsonClient, slug: string, user: string, roles: string[]): Promise<string> {
  return expect2xx(await client.put(`/v1/orgs/${slug}/members/${user}`, { roles }), `PUT member ${user} ${roles}`).body.revision
}

/** PUT /v1/orgs/:org/roles/:role; answers the new revision. */
export async function setRole(client: JsonClient, slug: string, role: string, permissions: string[], inherits: string[] = []): Promise<string> {
  return expect2xx(await client.put(`/v1/orgs/${slug}/roles/${role}`, { permissions, inherits }), `PUT role ${role}`).body.revision
}

// ---------------------------------------------------------------------------------------------
// What the processes share, read directly for assertions
// ---------------------------------------------------------------------------------------------

export interface OutboxRow {
  id: string
  event_id: string
  org_id: string | null
  org_seq: string | null
  type: string
  published: boolean
  invalidations: { partition: string; revision: number; entries: unknown[] | 'all' }[]
}

/** Every outbox row, in commit order. */
export async function outboxRows(databaseUrl: string): Promise<OutboxRow[]> {
  return queryDatabase<OutboxRow>(
    databaseUrl,
    `SELECT id::text, event_id::text, org_id::text, org_seq::text, type, published_at IS NOT NULL AS published,
            COALESCE(payload->'invalidations', '[]'::jsonb) AS invalidations
     FROM outbox_events ORDER BY outbox_events.id`,
  )
}

/** Waits until every outbox row is marked published; answers the rows. */
export async function waitForOutboxPublished(databaseUrl: string, timeoutMs = 20_000): Promise<OutboxRow[]> {
  return waitFor(
    'every outbox row to be published',
    async () => {
      const rows = await outboxRows(databaseUrl)
      return rows.every((row) => row.published) ? rows : undefined
    },
    { timeoutMs, intervalMs: 100 },
  )
}

export interface StreamMessage {
  seq: number
  subject: string
  msgId: string | undefined
  event: ChangeEvent
}

/** A NATS connection of the test's own (closed at the end). */
export async function natsClient(t: Teardown, url: string): Promise<NatsConnection> {
  // Reconnects forever and quickly: outage tests restart the server under it.
  const connection = await connect({ servers: url, timeout: 3_000, maxReconnectAttempts: -1, reconnectTimeWait: 250 })
  t.teardown(() => connection.close())
  return connection
}

/** A JetStream manager on a NATS connection of the test's own: to read the deployment's change stream and the invalidators' consumer. */
export async function changeStreamManager(t: Teardown, deployment: Deployment): Promise<JetStreamManager> {
  return jetstreamManager(await natsClient(t, deployment.natsUrl))
}

/**
 * Every message of the change stream, by sequence (read with the stream's message API). Retried
 * for a while when JetStream does not answer (just after a server restart, on a busy machine).
 */
export async function readStream(manager: JetStreamManager, stream: string): Promise<StreamMessage[]> {
  return waitFor(`the messages of ${stream}`, () => readStreamOnce(manager, stream), { timeoutMs: 30_000, intervalMs: 250 })
}

async function readStreamOnce(manager: JetStreamManager, stream: string): Promise<StreamMessage[]> {
  const info = await manager.streams.info(stream)
  const messages: StreamMessage[] = []
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
    const stored = await manager.streams.getMessage(stream, { seq })
    if (!stored) continue
    messages.push({ seq: stored.seq, subject: stored.subject, msgId: stored.header?.get('Nats-Msg-Id') || undefined, event: stored.json<ChangeEvent>() })
  }
  return messages
}

export { jetstream, jetstreamManager }

/**
 * Waits until the invalidators' durable consumer has acknowledged every message of the change
 * stream (nothing pending, nothing awaiting an ack); answers the consumer's info.
 */
export async function waitForConsumerCaughtUp(manager: JetStreamManager, stream: string, timeoutMs = 20_000) {
  return waitFor(
    'the cache-invalidator to acknowledge every change event',
    async () => {
      const [info, consumer] = await Promise.all([manager.streams.info(stream), manager.consumers.info(stream, CONSUMER_NAME)])
      return consumer.ack_floor.stream_seq >= info.state.last_seq && consumer.num_pending === 0 && consumer.num_ack_pending === 0 ? consumer : undefined
    },
    { timeoutMs, intervalMs: 100 },
  )
}

/** Runs `read` on a short-lived Redis client (the test's view of what is in L2). */
async function withRedis<T>(url: string, read: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null, connectTimeout: 1_000, commandTimeout: 2_000 })
  redis.on('error', () => {})
  try {
    await redis.connect()
    return await read(redis)
  } finally {
    redis.disconnect()
  }
}

/** The raw value of one Redis key (for checking what survived in L2). */
export const redisGet = (url: string, key: string): Promise<string | null> => withRedis(url, (redis) => redis.get(key))

/** The raw values of many Redis keys, in order (null where there is none). */
export const redisGetMany = (url: string, keys: string[]): Promise<(string | null)[]> =>
  withRedis(url, async (redis) => (keys.length === 0 ? [] : redis.mget(...keys)))

/** Every Redis key under `prefix` (partition marks included). */
export async function redisKeys(url: string, prefix: string): Promise<string[]> {
  return withRedis(url, async (redis) => {
    const keys: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000)
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
    return keys
  })
}

/** The key under which a user's effective permissions in an organization are cached in Redis. */
export const userPermissionsKey = (deployment: Deployment, orgId: string, user: string): string => `${deployment.redisPrefix}user_permissions:${orgId}:${user}`

// ---------------------------------------------------------------------------------------------
// The invalidator's statistics and Prometheus text
// ---------------------------------------------------------------------------------------------

export interface CacheStatsBody {
  l2: { available: boolean; types: Record<string, { entries: number; bytes: number; partial: boolean; hits: number; misses: number; hitRatio: number }> }
  l1: {
    replicas: number
    types: Record<string, { entries: number; bytes: number; hits: number; misses: number; hitRatio: number }>
    byReplica: { replica: string; pid: number; reportedAt: string; types: Record<string, { entries: number; bytes: number; hits: number; misses: number; hitRatio: number }> }[]
  }
  invalidations: { events: number; entries: number; partitions: number; failures: number; delayMs: { p50: number; p99: number; max: number; samples: number } }
}

export async function cacheStats(invalidator: JsonClient): Promise<CacheStatsBody> {
  return expect2xx(await invalidator.get<CacheStatsBody>('/v1/cache/stats'), 'GET /v1/cache/stats').body
}

/**
 * The sum of the samples of `name` in Prometheus text whose labels include `labels`
 * (undefined when there is no such sample).
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line)
    if (!match || match[1] !== name) continue
    const sampleLabels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([key, value]) => sampleLabels[key] === value)) total = (total ?? 0) + Number(match[3])
  }
  return total
}
