import { randomBytes } from 'node:crypto'
import pg from 'pg'
import t from 'tap'
import {
  createTestDatabase,
  readJsonResponse,
  spawnProgram,
  startOtlpReceiver,
  uniqueNamespace,
  uniquePrefix,
  type OtlpReceiver,
  type ProgramProcess,
  type ReceivedSpan,
} from '@latchkey/testing'

// Tracing as an operator turns it on: real processes (two permission replicas, a cache-invalidator
// and a task-worker, sharing one database and one NATS namespace) export to a real OTLP/HTTP
// receiver, and one trace follows a write from the HTTP request through PostgreSQL, the outbox
// relay, the invalidator and its fan-out into another replica's L1; and a task from its
// `POST /v1/tasks` to its execution in the worker.

// Whatever the machine's environment says about tracing, these tests say it themselves.
for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) delete process.env[name]

const SPAN_KIND = { server: 2, client: 3, producer: 4, consumer: 5 } as const

type Test = Parameters<Parameters<typeof t.test>[0]>[0]

const newTraceId = () => randomBytes(16).toString('hex')
/** A caller's W3C trace context header: the trace the request's spans must join. */
const traceparent = (traceId: string) => ({ traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` })

async function send(url: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await readJsonResponse(await fetch(`${url}${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }))
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
  return res.body
}

/** Waits until `find` answers something for the spans received so far. */
async function waitForSpans<T>(receiver: OtlpReceiver, what: string, find: (spans: ReceivedSpan[]) => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const found = find(receiver.spans)
    if (found !== undefined) return found
    if (Date.now() > deadline) {
      const names = receiver.spans.map((s) => `${s.service} ${s.name} ${s.traceId.slice(0, 8)}`).join('\n')
      throw new Error(`timed out waiting for ${what}; received:\n${names}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

interface Platform {
  a: ProgramProcess
  b: ProgramProcess
  invalidator: ProgramProcess
  worker: ProgramProcess
  scheduler: ProgramProcess
  namespace: string
  databaseUrl: string
}

async function startPlatform(t: Test, env: Record<string, string>): Promise<Platform> {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const namespace = uniqueNamespace(t)
  const shared = { DATABASE_URL: database.url, MIGRATE_ON_START: 'false', NATS_NAMESPACE: namespace, REDIS_KEY_PREFIX: uniquePrefix(), ...env }
  const start = (target: string, extra: Record<string, string> = {}) => spawnProgram(t, { ...shared, TARGET: target, ...extra }, { timeoutMs: 90_000 })
  // Replica b is named by OTEL_SERVICE_NAME; the others name themselves after their target.
  const [a, b, invalidator, worker, scheduler] = await Promise.all([
    start('permission', { LOG_REQUESTS: 'true' }),
    start('permission', { OTEL_SERVICE_NAME: 'latchkey-permission-b' }),
    start('cache-invalidator'),
    start('task-worker'),
    start('scheduler', { SCHEDULES_FILE: 'none' }),
  ])
  return { a: a!, b: b!, invalidator: invalidator!, worker: worker!, scheduler: scheduler!, namespace, databaseUrl: database.url }
}

t.test('with an OTLP endpoint, one trace runs from a role change to every L1, and from POST /v1/tasks or a schedule’s tick to the task’s execution', async (t) => {
  const receiver = await startOtlpReceiver(t)
  const platform = await startPlatform(t, {
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_BSP_SCHEDULE_DELAY: '100',
  })
  const { a, namespace } = platform
  const slug = `traced-${randomBytes(4).toString('hex')}`
  await send(a.url, 'POST', '/v1/permissions', { key: 'deals.view' }).catch(() => {})
  await send(a.url, 'POST', '/v1/orgs', { slug, name: 'Traced' })
  await send(a.url, 'POST', `/v1/orgs/${slug}/roles`, { name: 'viewer', permissions: [] })
  await send(a.url, 'PUT', '/v1/users/ann', { email: 'ann@example.test' })
  await send(a.url, 'PUT', `/v1/orgs/${slug}/members/ann`, { roles: ['viewer'] })

  t.test('a role change: the permission process, its relay, the invalidator and an L1 in another replica', async (t) => {
    const traceId = newTraceId()
    await send(a.url, 'PUT', `/v1/orgs/${slug}/roles/viewer`, { permissions: ['deals.view'] }, traceparent(traceId))
    const inTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId)

    const request = await waitForSpans(receiver, 'the HTTP server span', (spans) => inTrace(spans).find((s) => s.kind === SPAN_KIND.server))
    t.equal(request.service, 'latchkey-permission', 'a process without OTEL_SERVICE_NAME names itself latchkey-<target>')
    t.equal(request.name, 'PUT /v1/orgs/:org/roles/:role')
    t.equal(request.attributes['http.response.status_code'], 200)

    const queries = inTrace(receiver.spans).filter((s) => s.attributes['db.system.name'] === 'postgresql')
    t.ok(queries.length > 0, 'the write’s PostgreSQL queries are in the trace')
    t.ok(queries.every((q) => q.service === 'latchkey-permission' && q.kind === SPAN_KIND.client))

    const relayed = await waitForSpans(receiver, 'the relay’s publish', (spans) =>
      inTrace(spans).find((s) => s.kind === SPAN_KIND.producer && s.attributes['messaging.destination.template'] === `${namespace}.changes.>`),
    )
    t.equal(relayed.name, `publish ${namespace}.changes.>`)
    t.equal(relayed.attributes['messaging.system'], 'nats')
    t.ok(inTrace(receiver.spans).some((s) => s.spanId === relayed.parentSpanId && s.service === 'latchkey-permission'), 'the publish continues the write’s span (stored with the outbox row)')

    const consumed = await waitForSpans(receiver, 'the invalidator’s processing', (spans) =>
      inTrace(spans).find((s) => s.kind === SPAN_KIND.consumer && s.service === 'latchkey-cache-invalidator'),
    )
    t.equal(consumed.parentSpanId, relayed.spanId, 'the invalidator processes the event as a child of the relay’s publish')
    t.equal(consumed.attributes['messaging.consumer.group.name'], 'cache-invalidator')

    const fanOut = await waitForSpans(receiver, 'the L1 fan-out publish', (spans) =>
      inTrace(spans).find((s) => s.kind === SPAN_KIND.producer && s.service === 'latchkey-cache-invalidator'),
    )
    t.equal(fanOut.parentSpanId, consumed.spanId)
    t.equal(fanOut.name, `publish ${namespace}.cache.l1.invalidations`)
    const redis = inTrace(receiver.spans).filter((s) => s.service === 'latchkey-cache-invalidator' && s.attributes['db.system.name'] === 'redis')
    t.ok(redis.some((s) => s.parentSpanId === consumed.spanId), 'the invalidator’s Redis commands are in the trace')

    const l1 = await waitForSpans(receiver, 'replica b applying the fan-out', (spans) =>
      inTrace(spans).find((s) => s.kind === SPAN_KIND.consumer && s.service === 'latchkey-permission-b'),
    )
    t.equal(l1.parentSpanId, fanOut.spanId, 'another replica’s L1 invalidation ends the same trace')

    const logged = a.output.find((line) => line.includes(`"trace_id":"${traceId}"`))
    t.ok(logged, 'the request’s log lines carry its trace id')
  })

  t.test('POST /v1/tasks: the enqueue and the worker’s execution, also for a task that waited in PostgreSQL', async (t) => {
    for (const delayMs of [0, 300]) {
      const traceId = newTraceId()
      const { id } = (await send(platform.worker.url, 'POST', '/v1/tasks', { queue: 'system', type: 'system.echo', delayMs }, traceparent(traceId))) as { id: string }
      const inTrace = (spans: ReceivedSpan[]) => spans.filter((s) => s.traceId === traceId)
      const executed = await waitForSpans(receiver, `the execution of the task delayed ${delayMs} ms`, (spans) =>
        inTrace(spans).find((s) => s.kind === SPAN_KIND.consumer && s.attributes['messaging.message.id'] === id),
      )
      t.equal(executed.service, 'latchkey-task-worker')
      t.equal(executed.name, `process ${namespace}.tasks.system.medium`)
      t.equal(executed.attributes['latchkey.task.type'], 'system.echo')
      t.equal(executed.attributes['latchkey.task.attempt'], 1)
      const published = inTrace(receiver.spans).find((s) => s.spanId === executed.parentSpanId)
      t.ok(published, `the execution is a child of the publish (delay ${delayMs} ms)`)
      t.equal(published?.kind, SPAN_KIND.producer)
      const server = inTrace(receiver.spans).find((s) => s.kind === SPAN_KIND.server)
      t.equal(server?.name, 'POST /v1/tasks')
    }
  })

  t.test('a schedule’s tick: the scheduler’s span, and the task it enqueued running in the worker', async (t) => {
    const name = `traced-${randomBytes(3).toString('hex')}`
    await send(platform.scheduler.url, 'PUT', `/v1/schedules/${name}`, { cron: '* * * * * *', queue: 'system', type: 'system.echo' })
    const tick = await waitForSpans(receiver, `a tick of ${name}`, (spans) => spans.find((s) => s.service === 'latchkey-scheduler' && s.name === `schedule ${name}`))
    t.match(tick.attributes, { 'latchkey.schedule': name, 'latchkey.schedule.run_kind': 'tick' })
    const executed = await waitForSpans(receiver, 'the execution of the tick’s task', (spans) =>
      spans.find((s) => s.traceId === tick.traceId && s.kind === SPAN_KIND.consumer && s.service === 'latchkey-task-worker'),
    )
    t.equal(executed.attributes['latchkey.task.type'], 'system.echo', 'the task runs in the tick’s trace')
  })
})

t.test('without an OTLP endpoint (no OTEL_* variable, or only OTEL_SERVICE_NAME) nothing is exported and logs carry no trace ids', async (t) => {
  // Listening where a default OTLP exporter would send (localhost:4318), to see that none does.
  const receiver = await startOtlpReceiver(t, { port: 4318 })
  const platform = await startPlatform(t, {})
  const slug = `untraced-${randomBytes(4).toString('hex')}`
  const caller = traceparent(newTraceId())
  await send(platform.a.url, 'POST', '/v1/orgs', { slug, name: 'Untraced' }, caller)
  await send(platform.b.url, 'POST', '/v1/check', { org: slug, user: 'ann', permission: 'deals.view' })
  await send(platform.worker.url, 'POST', '/v1/tasks', { queue: 'system', type: 'system.echo' }, caller)
  const database = new pg.Client({ connectionString: platform.databaseUrl })
  await database.connect()
  t.teardown(() => database.end())
  const { rows } = await database.query<{ trace_context: Record<string, string> }>('SELECT trace_context FROM outbox_events WHERE type = $1', ['organization.created'])
  t.same(rows[0]?.trace_context, caller, 'the write made no span: the caller’s trace context is stored as it came')
  await new Promise((resolve) => setTimeout(resolve, 1_500))
  t.equal(receiver.requests, 0, 'no export request')
  for (const process of [platform.a, platform.b, platform.invalidator, platform.worker]) {
    t.notOk(process.output.some((line) => line.includes('trace_id')), 'no trace_id in any log line')
  }
  t.ok(platform.a.output.some((line) => line.includes('request completed')), 'requests were logged (LOG_REQUESTS=true)')
})
