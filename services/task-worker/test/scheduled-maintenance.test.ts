// The maintenance task types the scheduler fires: task retention, the dead-letter digest and the
// cache consistency audit, each run by the real worker against the real PostgreSQL and Redis.
import { randomUUID } from 'node:crypto'
import t from 'tap'
import { permissionTarget } from '@latchkey/permission'
import { jsonClient, queryDatabase, startTestApp, testRedis, uniqueNamespace } from '@latchkey/testing'
import { taskWorkerTarget } from '../src/index.ts'
import { enqueue, startWorkerApp, testEnv, waitForStatus } from './helpers.ts'

const DAY = 86_400_000

async function insertTask(databaseUrl: string, row: { status: string; finishedAgoMs: number; queue?: string; type?: string; error?: string }): Promise<string> {
  const id = randomUUID()
  const finishedAt = new Date(Date.now() - row.finishedAgoMs)
  await queryDatabase(
    databaseUrl,
    `INSERT INTO tasks (id, queue, type, priority, status, phase, attempts, created_at, finished_at, error) VALUES ($1, $2, $3, 'medium', $4, 3, 1, $5, $5, $6)`,
    [id, row.queue ?? 'system', row.type ?? 'system.echo', row.status, finishedAt, row.error ?? null],
  )
  return id
}

t.test('system.task_retention deletes succeeded and cancelled tasks past TASK_RETENTION, and nothing else', async (t) => {
  const app = await startWorkerApp(t)
  const db = app.config.DATABASE_URL
  const old = [await insertTask(db, { status: 'succeeded', finishedAgoMs: 8 * DAY }), await insertTask(db, { status: 'cancelled', finishedAgoMs: 8 * DAY })]
  const kept = [await insertTask(db, { status: 'succeeded', finishedAgoMs: DAY }), await insertTask(db, { status: 'dead', finishedAgoMs: 30 * DAY, error: 'boom' })]
  const client = jsonClient(app.url)
  const { id } = await enqueue(client, { type: 'system.task_retention' })
  const done = await waitForStatus(client, id, 'succeeded')
  t.same(done.result, { deleted: 2, retention: '7d' })
  const left = (await queryDatabase<{ id: string }>(db, 'SELECT id FROM tasks WHERE id = ANY($1::uuid[])', [[...old, ...kept]])).map((r) => r.id).sort()
  t.same(left, [...kept].sort(), 'the recent and the dead ones stay')
})

t.test('system.dead_letter_digest summarises the dead tasks of the last day per queue and type', async (t) => {
  const app = await startWorkerApp(t)
  const db = app.config.DATABASE_URL
  await insertTask(db, { status: 'dead', finishedAgoMs: 3_600_000, error: 'older error' })
  await insertTask(db, { status: 'dead', finishedAgoMs: 60_000, error: 'latest error' })
  await insertTask(db, { status: 'dead', finishedAgoMs: 120_000, queue: 'workflow', type: 'workflow.something', error: 'no handler' })
  await insertTask(db, { status: 'dead', finishedAgoMs: 2 * DAY, error: 'too old for the digest' })
  await insertTask(db, { status: 'succeeded', finishedAgoMs: 60_000 })
  const client = jsonClient(app.url)
  const { id } = await enqueue(client, { type: 'system.dead_letter_digest' })
  const done = await waitForStatus(client, id, 'succeeded')
  t.match(done.result, {
    total: 3,
    byQueueAndType: [
      { queue: 'system', type: 'system.echo', dead: 2, lastError: 'latest error' },
      { queue: 'workflow', type: 'workflow.something', dead: 1, lastError: 'no handler' },
    ],
  })
  t.equal((done.result as { byQueueAndType: unknown[] }).byQueueAndType.length, 2)
  const bad = await enqueue(client, { type: 'system.dead_letter_digest', payload: { hours: 0 } })
  t.match(await waitForStatus(client, bad.id, 'dead'), { error: /payload.hours/ }, 'a bad window is refused without retries')
})

t.test('system.cache_consistency_audit finds a cached permission entry that disagrees with PostgreSQL', async (t) => {
  const app = await startTestApp(t, { registry: { permission: permissionTarget, 'task-worker': taskWorkerTarget }, env: { ...testEnv, NATS_NAMESPACE: uniqueNamespace(t) } })
  const client = jsonClient(app.url)
  await client.post('/v1/permissions', { key: 'deals.view' })
  await client.post('/v1/permissions', { key: 'deals.delete' })
  const org = (await client.post('/v1/orgs', { slug: 'acme', name: 'Acme' })).body as { id: string }
  await client.post('/v1/orgs/acme/roles', { name: 'viewer', permissions: ['deals.view'] })
  for (const user of ['ann', 'bob']) {
    await client.put(`/v1/users/${user}`, { email: `${user}@example.com` })
    await client.put(`/v1/orgs/acme/members/${user}`, { roles: ['viewer'] })
    t.match((await client.post('/v1/check', { org: 'acme', user, permission: 'deals.view' })).body, { allowed: true }, `${user}'s permissions are cached`)
  }

  const audit = async (): Promise<Record<string, any>> => {
    const { id } = await enqueue(client, { type: 'system.cache_consistency_audit', payload: { sample: 100 } })
    return (await waitForStatus(client, id, 'succeeded')).result as Record<string, any>
  }
  t.match(await audit(), { sampled: 2, matched: 2, mismatched: 0 }, 'a consistent cache')

  // Corrupt bob's entry behind the platform's back, as a lost invalidation would leave it.
  const { redis } = await testRedis(t)
  const key = `${app.config.REDIS_KEY_PREFIX}user_permissions:${org.id}:bob`
  const stored = await redis.get(key)
  t.ok(stored, 'the entry is in Redis')
  await redis.set(key, stored!.replace(/\|.*$/, '|["deals.delete","deals.view"]'), 'KEEPTTL')
  const report = await audit()
  t.match(report, { sampled: 2, matched: 1, mismatched: 1, mismatches: [{ org: org.id, user: 'bob', cached: ['deals.delete', 'deals.view'], actual: ['deals.view'] }] })
  const metrics = await (await fetch(`${app.url}/metrics`)).text()
  t.match(metrics, /latchkey_cache_audit_mismatches_total(\{[^}]*\})? 1\b/, 'the mismatch is counted')
  t.match(metrics, /latchkey_cache_audit_sampled_entries_total(\{[^}]*\})? 4\b/)
})
