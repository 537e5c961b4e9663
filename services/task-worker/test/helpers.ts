// Shared helpers of the task worker's tests. Every test gets a database and a NATS namespace of its
// own (so its streams, consumers and cancellation bucket are its own on the shared NATS server);
// the namespace's streams are deleted when the test ends.
import { createTestDatabase, readJsonResponse, spawnProgram, startTestApp, uniqueNamespace, type ProgramProcess, type TestApp } from '@latchkey/testing'
import pg from 'pg'
import type tap from 'tap'
import { taskWorkerTarget } from '../src/index.ts'

type Teardown = { teardown(fn: () => unknown): void }
export type TapTest = Parameters<Parameters<typeof tap.test>[0]>[0]

export const natsUrl = process.env.NATS_URL ?? 'nats://127.0.0.1:4222'

/** Test defaults: short ack wait (crash tests), fast status flushes, quick dispatch. */
export const testEnv = { TASK_ACK_WAIT: '3s', TASK_DISPATCH_INTERVAL: '50ms', SHUTDOWN_GRACE: '10s' }

/** The program with only the task worker, in this process, with its own database and namespace. */
export async function startWorkerApp(t: Teardown, env: Record<string, string> = {}, options: { databaseUrl?: string } = {}): Promise<TestApp & { namespace: string }> {
  const namespace = env.NATS_NAMESPACE ?? uniqueNamespace(t)
  const app = await startTestApp(t, { registry: { 'task-worker': taskWorkerTarget }, env: { ...testEnv, NATS_NAMESPACE: namespace, ...env }, ...options })
  return Object.assign(app, { namespace })
}

/** The real program (TARGET=task-worker) as a child process, on a shared database and namespace. */
export async function spawnWorker(t: Teardown, env: { DATABASE_URL: string; NATS_NAMESPACE: string } & Record<string, string>): Promise<ProgramProcess> {
  return spawnProgram(t, { TARGET: 'task-worker', MIGRATE_ON_START: 'false', ...testEnv, ...env })
}

/** A database of the test's own (dropped at the end). */
export async function testDatabase(t: Teardown): Promise<string> {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  return database.url
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export interface ApiResponse<T = any> {
  status: number
  body: T
  text: string
}

export interface Api {
  get<T = any>(path: string): Promise<ApiResponse<T>>
  post<T = any>(path: string, body?: unknown, raw?: { body: string; contentType: string }): Promise<ApiResponse<T>>
}

export function api(baseUrl: string): Api {
  const request = async <T>(method: string, path: string, body?: unknown, raw?: { body: string; contentType: string }): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = {}
    let payload: string | undefined
    if (raw) {
      payload = raw.body
      headers['content-type'] = raw.contentType
    } else if (body !== undefined) {
      payload = JSON.stringify(body)
      headers['content-type'] = 'application/json'
    }
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body: payload })
    return readJsonResponse<T>(response)
  }
  return { get: (path) => request('GET', path), post: (path, body, raw) => request('POST', path, body, raw) }
}

export interface TaskBody {
  id: string
  queue: string
  type: string
  priority: string
  status: string
  attempts: number
  createdAt: string
  startedAt?: string
  finishedAt?: string
  result?: unknown
  error?: string
  attemptLog: { startedAt: string; finishedAt?: string; error?: string }[]
}

/** POST /v1/tasks; throws unless 202. */
export async function enqueue(client: Api, body: Record<string, unknown>): Promise<{ id: string; status: string }> {
  const res = await client.post('/v1/tasks', { queue: 'system', type: 'system.echo', ...body })
  if (res.status !== 202) throw new Error(`POST /v1/tasks: ${res.status} ${res.text}`)
  return res.body
}

export async function getTask(client: Api, id: string): Promise<TaskBody> {
  const res = await client.get<TaskBody>(`/v1/tasks/${id}`)
  if (res.status !== 200) throw new Error(`GET /v1/tasks/${id}: ${res.status} ${res.text}`)
  return res.body
}

/** Polls until `check` answers something other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}

/** Waits until the task has one of `statuses`; answers it. */
export function waitForStatus(client: Api, id: string, statuses: string | string[], timeoutMs = 20_000): Promise<TaskBody> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses]
  return waitFor(`task ${id} to be ${wanted.join(' or ')}`, async () => {
    const task = await getTask(client, id)
    return wanted.includes(task.status) ? task : undefined
  }, timeoutMs)
}

/** The contract's error shape with an LK_ code and the given status. */
export function assertApiError(t: TapTest, res: ApiResponse, status: number, code?: string | RegExp, what = ''): void {
  const label = what ? `${what}: ` : ''
  t.equal(res.status, status, `${label}answers ${status}`, { response: res.text.slice(0, 300) })
  t.same(Object.keys(res.body ?? {}).sort(), ['code', 'error', 'message', 'statusCode'], `${label}error shape`)
  t.match(res.body?.code, code ?? /^LK_[A-Z0-9_]+$/, `${label}code ${code ?? 'LK_...'}`)
}

/** Runs one query on a database. */
export async function query<R extends pg.QueryResultRow = any>(databaseUrl: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}

export const taskCount = async (databaseUrl: string): Promise<number> => (await query<{ n: number }>(databaseUrl, 'SELECT count(*)::int AS n FROM tasks'))[0]!.n
