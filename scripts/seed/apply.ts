// Writes a seed plan through the HTTP API of a running Latchkey, so that every write takes the
// real path (validation, the organization's revision, the outbox). Requests run in parallel up to
// a limit; writes to one organization are serialized by the server (a row lock), so at most
// `perOrg` of them are in flight per organization, and the organization with the most writes left
// goes first (it is the critical path).
import http from 'node:http'
import https from 'node:https'
import type { SeedPlan } from './plan.ts'

// ---------------------------------------------------------------------------------------------
// A small JSON client over keep-alive sockets (node:http: no dependency, low overhead).

export interface JsonResponse {
  status: number
  body: any
}

export interface JsonClient {
  request(method: string, path: string, body?: unknown): Promise<JsonResponse>
  close(): void
}

export function createJsonClient(baseUrl: string, options: { connections?: number; timeoutMs?: number } = {}): JsonClient {
  const url = new URL(baseUrl)
  const transport = url.protocol === 'https:' ? https : http
  const agent = new transport.Agent({ keepAlive: true, maxSockets: options.connections ?? 32 })
  const basePath = url.pathname.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? 30_000
  return {
    request: (method, path, body) =>
      new Promise<JsonResponse>((resolve, reject) => {
        const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body))
        const req = transport.request(
          {
            protocol: url.protocol,
            hostname: url.hostname,
            port: url.port,
            method,
            path: basePath + path,
            agent,
            headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
          },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (chunk: Buffer) => chunks.push(chunk))
            res.on('error', reject)
            res.on('end', () => {
              const text = Buffer.concat(chunks).toString('utf8')
              let parsed: unknown = text
              if ((res.headers['content-type'] ?? '').includes('json') && text.length > 0) {
                try {
                  parsed = JSON.parse(text)
                } catch {
                  // Keep the text: the caller reports it.
                }
              }
              resolve({ status: res.statusCode ?? 0, body: parsed })
            })
          },
        )
        req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })))
        req.on('error', reject)
        req.end(payload)
      }),
    close: () => agent.destroy(),
  }
}

// ---------------------------------------------------------------------------------------------

/** The URL does not lead to a running, ready Latchkey with the permission service. */
export class LatchkeyUnreachableError extends Error {
  override name = 'LatchkeyUnreachableError'
}

/** A write was refused; the message names the request and the API error. */
export class SeedWriteError extends Error {
  override name = 'SeedWriteError'
}

const describeError = (err: unknown): string => {
  const e = err as { code?: string; message?: string; errors?: { message?: string }[] }
  return e.code ?? e.message ?? e.errors?.[0]?.message ?? String(err)
}

/** Checks that `url` answers as a ready Latchkey running the permission service; throws otherwise. */
export async function assertReachable(url: string): Promise<void> {
  const client = createJsonClient(url, { connections: 1, timeoutMs: 5_000 })
  try {
    let ready: JsonResponse
    try {
      ready = await client.request('GET', '/readyz')
    } catch (err) {
      throw new LatchkeyUnreachableError(
        `Latchkey is not reachable at ${url} (${describeError(err)}). Start it with \`npm start\` (HTTP port 8080 by default), or pass --url.`,
      )
    }
    if (ready.status === 404) throw new LatchkeyUnreachableError(`${url} answers, but not as Latchkey (GET /readyz: 404). Is --url right?`)
    if (ready.status !== 200) {
      throw new LatchkeyUnreachableError(`Latchkey at ${url} is not ready (GET /readyz: ${ready.status}): ${JSON.stringify(ready.body)}`)
    }
    const catalog = await client.request('GET', '/v1/permissions')
    if (catalog.status === 404) {
      throw new LatchkeyUnreachableError(`Latchkey at ${url} does not run the permission service (GET /v1/permissions: 404); start it with TARGET=all or TARGET=permission.`)
    }
  } finally {
    client.close()
  }
}

// ---------------------------------------------------------------------------------------------
// Scheduling: a global limit, and a limit per key (the organization) for keyed tasks.

interface Task {
  /** Tasks with the same key run at most `perKey` at a time, in order when `perKey` is 1. */
  key: string
  run(): Promise<Outcome>
}

type Outcome = 'created' | 'existing'

async function runTasks(tasks: Task[], options: { concurrency: number; perKey: number; onSettled: (outcome: Outcome) => void }): Promise<void> {
  const queues = new Map<string, { tasks: Task[]; next: number; inflight: number }>()
  for (const task of tasks) {
    let queue = queues.get(task.key)
    if (!queue) queues.set(task.key, (queue = { tasks: [], next: 0, inflight: 0 }))
    queue.tasks.push(task)
  }
  const all = [...queues.values()]
  return new Promise<void>((resolve, reject) => {
    let running = 0
    let failed: { err: unknown } | undefined
    const pick = () => {
      let best: (typeof all)[number] | undefined
      for (const q of all) {
        if (q.next < q.tasks.length && q.inflight < options.perKey && (!best || q.tasks.length - q.next > best.tasks.length - best.next)) best = q
      }
      return best
    }
    const pump = () => {
      while (!failed && running < options.concurrency) {
        const queue = pick()
        if (!queue) break
        const task = queue.tasks[queue.next++]!
        queue.inflight++
        running++
        task.run().then(
          (outcome) => {
            options.onSettled(outcome)
            queue.inflight--
            running--
            pump()
          },
          (err: unknown) => {
            failed ??= { err }
            queue.inflight--
            running--
            pump()
          },
        )
      }
      if (running > 0) return
      if (failed) reject(failed.err)
      else if (!all.some((q) => q.next < q.tasks.length)) resolve()
    }
    pump()
  })
}

// ---------------------------------------------------------------------------------------------

export interface ApplyOptions {
  /** Base URL of Latchkey; several replicas (of one installation) share the requests in turn. */
  url: string | string[]
  /** Requests in flight at once (default 32). */
  concurrency?: number
  /** Membership writes in flight per organization (default 2; they are serialized there anyway). */
  perOrg?: number
  /** The phases to run, in their fixed order (default all; a later phase needs the earlier ones done). */
  only?: PhaseName[]
  /** Called at most twice a second per phase, and once when a phase ends. */
  onProgress?: (progress: { phase: string; done: number; total: number; elapsedMs: number; finished: boolean }) => void
}

export const phaseNames = ['permissions', 'organizations', 'roles', 'users', 'memberships'] as const
export type PhaseName = (typeof phaseNames)[number]

export interface PhaseSummary {
  phase: string
  total: number
  /** Written now (created, or upserted for users and memberships). */
  created: number
  /** Already there from an earlier run (a role already there is replaced with the planned one). */
  existing: number
  ms: number
}

export interface ApplySummary {
  phases: PhaseSummary[]
  ms: number
}

const retryable = new Set([502, 503, 504])

/** Writes the plan: catalog, organizations, roles, users, memberships, each phase after the last. */
export async function applyPlan(plan: SeedPlan, options: ApplyOptions): Promise<ApplySummary> {
  const concurrency = options.concurrency ?? 32
  const urls = Array.isArray(options.url) ? options.url : [options.url]
  const clients = urls.map((url) => createJsonClient(url, { connections: Math.ceil(concurrency / urls.length) }))
  let turn = 0
  const client = { request: (method: string, path: string, body?: unknown) => clients[turn++ % clients.length]!.request(method, path, body) }
  const started = performance.now()

  /** One request; network failures and 502-504 are retried (a retried write may meet itself: 409). */
  const send = async (method: string, path: string, body: unknown, accept: Record<number, Outcome | ((res: JsonResponse) => Promise<Outcome>)>): Promise<Outcome> => {
    for (let attempt = 1; ; attempt++) {
      let res: JsonResponse | undefined
      try {
        res = await client.request(method, path, body)
      } catch (err) {
        if (attempt >= 4) throw new SeedWriteError(`${method} ${path} failed: ${describeError(err)}`)
      }
      if (res && !(retryable.has(res.status) && attempt < 4)) {
        const handler = accept[res.status]
        if (handler === undefined) {
          const error = res.body as { code?: string; message?: string }
          throw new SeedWriteError(`${method} ${path} answered ${res.status} ${error?.code ?? ''}: ${error?.message ?? JSON.stringify(res.body)}`)
        }
        if (typeof handler !== 'function') return handler
        try {
          return await handler(res)
        } catch (err) {
          // A refused 409 is reported with the request that met it.
          throw err instanceof SeedWriteError && err.message.startsWith('answered') ? new SeedWriteError(`${method} ${path} ${err.message}`) : err
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt))
    }
  }
  const enc = encodeURIComponent
  const existsAs = (code: string, then: Outcome | ((res: JsonResponse) => Promise<Outcome>)) => async (res: JsonResponse): Promise<Outcome> => {
    if ((res.body as { code?: string })?.code !== code) {
      throw new SeedWriteError(`answered 409 ${(res.body as { code?: string })?.code}: ${(res.body as { message?: string })?.message}`)
    }
    return typeof then === 'function' ? then(res) : then
  }

  const phases: { name: PhaseName; perKey: number; tasks: Task[] }[] = [
    {
      name: 'permissions',
      perKey: Infinity,
      tasks: plan.permissions.map((p) => ({
        key: '',
        run: () => send('POST', '/v1/permissions', p, { 201: 'created', 409: existsAs('LK_ERR_PERMISSION_EXISTS', 'existing') }),
      })),
    },
    {
      name: 'organizations',
      perKey: Infinity,
      tasks: plan.orgs.map((o) => ({
        key: '',
        run: () => send('POST', '/v1/orgs', o, { 201: 'created', 409: existsAs('LK_ERR_ORG_EXISTS', 'existing') }),
      })),
    },
    {
      // In plan order per organization: parents exist before the roles that inherit them.
      name: 'roles',
      perKey: 1,
      tasks: plan.roles.map((r) => ({
        key: r.org,
        run: () =>
          send(
            'POST',
            `/v1/orgs/${enc(r.org)}/roles`,
            { name: r.name, permissions: r.permissions, inherits: r.inherits },
            {
              201: 'created',
              409: existsAs('LK_ERR_ROLE_EXISTS', () =>
                send('PUT', `/v1/orgs/${enc(r.org)}/roles/${enc(r.name)}`, { permissions: r.permissions, inherits: r.inherits }, { 200: 'existing' }),
              ),
            },
          ),
      })),
    },
    {
      name: 'users',
      perKey: Infinity,
      tasks: plan.users.map((u) => ({
        key: '',
        run: () => send('PUT', `/v1/users/${enc(u.id)}`, { email: u.email, name: u.name, passwordChangedAt: u.passwordChangedAt }, { 200: 'created' }),
      })),
    },
    {
      name: 'memberships',
      perKey: options.perOrg ?? 2,
      tasks: plan.memberships.map((m) => ({
        key: m.org,
        run: () => send('PUT', `/v1/orgs/${enc(m.org)}/members/${enc(m.user)}`, { roles: m.roles }, { 200: 'created' }),
      })),
    },
  ]

  const summaries: PhaseSummary[] = []
  try {
    for (const phase of phases.filter((p) => !options.only || options.only.includes(p.name))) {
      const phaseStarted = performance.now()
      const summary: PhaseSummary = { phase: phase.name, total: phase.tasks.length, created: 0, existing: 0, ms: 0 }
      let lastReport = 0
      const report = (finished: boolean) =>
        options.onProgress?.({ phase: phase.name, done: summary.created + summary.existing, total: summary.total, elapsedMs: performance.now() - phaseStarted, finished })
      await runTasks(phase.tasks, {
        concurrency,
        perKey: phase.perKey,
        onSettled: (outcome) => {
          summary[outcome]++
          const now = performance.now()
          if (now - lastReport >= 500) {
            lastReport = now
            report(false)
          }
        },
      })
      summary.ms = performance.now() - phaseStarted
      report(true)
      summaries.push(summary)
    }
  } finally {
    for (const c of clients) c.close()
  }
  return { phases: summaries, ms: performance.now() - started }
}
