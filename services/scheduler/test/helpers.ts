// Shared helpers of the scheduler's tests. Every test gets a database and a NATS namespace of its
// own, and its own schedules file (schedules of `system.echo` and this branch's task types), so
// that the tests depend on no handler that other services bring.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { jsonClient, spawnProgram, startTestApp, uniqueNamespace, type ProgramProcess, type TestApp } from '@latchkey/testing'
import type { TargetRegistry } from '@latchkey/runtime'
import { taskWorkerTarget } from '@latchkey/task-worker'
import { schedulerTarget } from '../src/index.ts'

export { assertApiError, testDatabase, type TapTest } from '../../task-worker/test/helpers.ts'

type Teardown = { teardown(fn: () => unknown): void }

/** Short leases so that failovers take a second or two, quick polls and status flushes. */
export const schedulerTestEnv = { SCHEDULER_LEASE: '2s', SCHEDULER_LEASE_RENEW: '250ms', SCHEDULER_POLL: '250ms', TASK_DISPATCH_INTERVAL: '50ms', SHUTDOWN_GRACE: '10s' }

/** Writes a schedules file (version 1) of the test's own; answers its path. */
export function scheduleFile(schedules: Record<string, unknown>[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'lk-schedules-')), 'schedules.json')
  writeFileSync(path, JSON.stringify({ version: 1, schedules }))
  return path
}

/** The program with the scheduler (and, unless told otherwise, the task worker) in this process. */
export async function startSchedulerApp(
  t: Teardown,
  env: Record<string, string>,
  options: { databaseUrl?: string; withWorker?: boolean } = {},
): Promise<TestApp> {
  const registry: TargetRegistry = options.withWorker === false ? { scheduler: schedulerTarget } : { 'task-worker': taskWorkerTarget, scheduler: schedulerTarget }
  return startTestApp(t, { registry, env: { ...schedulerTestEnv, NATS_NAMESPACE: env.NATS_NAMESPACE ?? uniqueNamespace(t), ...env }, ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : {}) })
}

/**
 * The real program as a child process (TARGET=scheduler unless `env` says otherwise). Several
 * start at once in these tests, on a machine that other tests share: their start may take long.
 */
export function spawnScheduler(t: Teardown, env: { DATABASE_URL: string; NATS_NAMESPACE: string } & Record<string, string>, options: { waitForStart?: boolean } = {}): Promise<ProgramProcess> {
  return spawnProgram(t, { TARGET: 'scheduler', MIGRATE_ON_START: 'false', ...schedulerTestEnv, ...env }, { timeoutMs: 90_000, ...options })
}

export interface RunBody {
  tick: string
  firedAt: string
  taskId: string
  status: string
}

/** The schedule's runs, oldest first (the API answers newest first). */
export async function runsOf(baseUrl: string, name: string): Promise<RunBody[]> {
  const res = await jsonClient(baseUrl).get<{ items: RunBody[] }>(`/v1/schedules/${name}/runs?limit=1000`)
  if (res.status !== 200) throw new Error(`GET runs of ${name}: ${res.status} ${res.text}`)
  return [...res.body.items].reverse()
}

/** Whether the process at `baseUrl` is the leader now (undefined when it does not answer). */
export async function isLeader(baseUrl: string): Promise<boolean | undefined> {
  try {
    const res = await jsonClient(baseUrl).get<{ leader: boolean }>('/v1/schedules')
    return res.status === 200 ? res.body.leader : undefined
  } catch {
    return undefined
  }
}
