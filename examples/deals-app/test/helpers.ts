// Shared setup of the example application's tests: the platform (permission service,
// cache-invalidator and task worker, in this process, with a database, Redis prefix and NATS
// namespace of their own) and the example application beside it, configured as its README says
// (the platform's database, Redis, NATS namespace and gRPC port), plus small JSON clients.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cacheInvalidatorTarget } from '@latchkey/cache-invalidator'
import { loadConfig } from '@latchkey/config'
import { createLogger } from '@latchkey/logger'
import { permissionTarget } from '@latchkey/permission'
import { taskWorkerTarget } from '@latchkey/task-worker'
import { ensurePermissions, expect2xx, jsonClient, startTestApp, uniqueSlug, waitFor, type JsonClient, type JsonResponse, type TestApp } from '@latchkey/testing'
import { buildDealsApp, DealsAppConfigSchema } from '../src/index.ts'

type Teardown = { teardown(fn: () => unknown): void }

/** A JSON client of `baseUrl`; `user` becomes the `x-user-id` header. */
export const client = (baseUrl: string, user?: string): JsonClient => jsonClient(baseUrl, { headers: user ? { 'x-user-id': user } : {}, timeoutMs: 15_000 })

/** Throws with the answer unless it is a 2xx; answers the body. */
export async function ok(response: Promise<JsonResponse>, what: string): Promise<any> {
  return expect2xx(await response, what).body
}

export async function startPlatformAndExample(t: Teardown) {
  const dataDir = mkdtempSync(join(tmpdir(), 'deals-app-'))
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }))
  const platform = await startTestApp(t, {
    registry: { permission: permissionTarget, 'cache-invalidator': cacheInvalidatorTarget, 'task-worker': taskWorkerTarget },
    env: { DATA_DIR: dataDir },
  })
  const grpcPort = (platform.app as unknown as { grpcPort: number }).grpcPort
  const { example, exampleUrl } = await startExample(t, platform, { PERMISSION_GRPC_ADDRESS: `127.0.0.1:${grpcPort}` })
  return { platform, example, exampleUrl, admin: client(platform.url), as: (user: string) => client(exampleUrl, user) }
}

/** The example application configured for `platform`'s servers (and `env` on top), closed before the platform. */
export async function startExample(t: Teardown, platform: TestApp, env: Record<string, string>) {
  const config = loadConfig(DealsAppConfigSchema, {
    PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: platform.config.DATABASE_URL,
    REDIS_URL: platform.config.REDIS_URL,
    REDIS_KEY_PREFIX: platform.config.REDIS_KEY_PREFIX,
    NATS_URL: platform.config.NATS_URL,
    NATS_NAMESPACE: platform.config.NATS_NAMESPACE,
    ...env,
  })
  const example = await buildDealsApp(config, createLogger({ level: config.LOG_LEVEL, name: 'deals-app-test' }))
  await example.listen({ host: '127.0.0.1', port: 0 })
  // Teardowns run in reverse order: the example closes before the platform.
  t.teardown(() => example.close())
  return { example, exampleUrl: `http://127.0.0.1:${(example.server.address() as { port: number }).port}` }
}

/** The demo's permissions and roles in a new organization, through the platform's HTTP API. */
export async function createDemoOrg(admin: JsonClient, members: Record<string, string[]>): Promise<string> {
  const slug = uniqueSlug('deals')
  await ensurePermissions(admin, ['deals.view', 'deals.edit', 'dashboard.view', 'commissions.manage'])
  await ok(admin.post('/v1/orgs', { slug, name: 'Demo' }), 'org')
  await ok(admin.post(`/v1/orgs/${slug}/roles`, { name: 'viewer', permissions: ['deals.view', 'dashboard.view'] }), 'viewer')
  await ok(admin.post(`/v1/orgs/${slug}/roles`, { name: 'seller', permissions: ['deals.edit'], inherits: ['viewer'] }), 'seller')
  await ok(admin.post(`/v1/orgs/${slug}/roles`, { name: 'manager', permissions: ['commissions.manage'], inherits: ['seller'] }), 'manager')
  for (const [user, roles] of Object.entries(members)) {
    await ok(admin.put(`/v1/users/${user}`, { email: `${user}@example.com` }), `user ${user}`)
    await ok(admin.put(`/v1/orgs/${slug}/members/${user}`, { roles }), `member ${user}`)
  }
  return slug
}

/**
 * Polls `probe` every 20 ms until it answers something other than undefined, or fails after
 * `withinMs`; a probe that throws fails it at once.
 */
export function eventually<T>(probe: () => Promise<T | undefined>, withinMs: number, what: string): Promise<T> {
  return waitFor(what, probe, { timeoutMs: withinMs, intervalMs: 20, failOnError: true })
}

/** Waits for a task to end on the platform (`GET /v1/tasks/:id`) and answers it. */
export function taskOutcome(admin: JsonClient, id: string): Promise<any> {
  return eventually(
    async () => {
      const task = (await admin.get(`/v1/tasks/${id}`)).body
      return task && ['succeeded', 'dead', 'cancelled'].includes(task.status) ? task : undefined
    },
    10_000,
    `task ${id}`,
  )
}
