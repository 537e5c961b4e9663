// Shared helpers of the task worker's tests. Every test gets a database and a NATS namespace of its
// own (so its streams, consumers and cancellation bucket are its own on the shared NATS server);
// the namespace's streams are deleted when the test ends.
import { createTestDatabase, queryDatabase, spawnProgram, startTestApp, uniqueNamespace, waitFor, type JsonClient, type JsonResponse, type ProgramProcess, type TestApp } from '@latchkey/testing'
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
// Tasks, through the HTTP API
// ---------------------------------------------------------------------------------------------

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
export async function enqueue(client: JsonClient, body: Record<string, unknown>): Promise<{ id: string; status: string }> {
  const res = await client.post('/v1/tasks', { queue: 'system', type: 'system.echo', ...body })
  if (res.status !== 202) throw new Error(`POST /v1/tasks: ${res.status} ${res.text}`)
  return res.body
}

export async function getTask(client: JsonClient, id: string): Promise<TaskBody> {
  const res = await client.get<TaskBody>(`/v1/tasks/${id}`)
  if (res.status !== 200) throw new Error(`GET /v1/tasks/${id}: ${res.status} ${res.text}`)
  return res.body
}

/** Waits until the task has one of `statuses`; answers it. */
export function waitForStatus(client: JsonClient, id: string, statuses: string | string[], timeoutMs = 20_000): Promise<TaskBody> {
  const wanted = Array.isArray(statuses) ? statuses : [statuses]
  return waitFor(
    `task ${id} to be ${wanted.join(' or ')}`,
    async () => {
      const task = await getTask(client, id)
      return wanted.includes(task.status) ? task : undefined
    },
    { timeoutMs },
  )
}

/** The contract's error shape with an LK_ code and the given status. */
export function assertApiError(t: TapTest, res: JsonResponse, status: number, code?: string | RegExp, what = ''): void {
  const label = what ? `${what}: ` : ''
  t.equal(res.status, status, `${label}answers ${status}`, { response: res.text.slice(0, 300) })
  t.same(Object.keys(res.body ?? {}).sort(), ['code', 'error', 'message', 'statusCode'], `${label}error shape`)
  t.match(res.body?.code, code ?? /^LK_[A-Z0-9_]+$/, `${label}code ${code ?? 'LK_...'}`)
}

export const taskCount = async (databaseUrl: string): Promise<number> => (await queryDatabase<{ n: number }>(databaseUrl, 'SELECT count(*)::int AS n FROM tasks'))[0]!.n
