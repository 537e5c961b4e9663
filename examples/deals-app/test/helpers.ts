// Shared setup of the example application's tests: the platform (permission service,
// cache-invalidator and task worker, in this process, with a database, Redis prefix and NATS
// namespace of their own) and the example application beside it, configured as its README says
// (the platform's database, Redis, NATS namespace and gRPC port), plus small JSON clients.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { cacheInvalidatorTarget } from '@latchkey/cache-invalidator'
import { loadConfig } from '@latchkey/config'
import { createLogger } from '@latchkey/logger'
import { permissionTarget } from '@latchkey/permission'
import { taskWorkerTarget } from '@latchkey/task-worker'
import { readJsonResponse, startTestApp, type TestApp } from '@latchkey/testing'
import { buildDealsApp, DealsAppConfigSchema } from '../src/index.ts'

type Teardown = { teardown(fn: () => unknown): void }

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export interface JsonResponse {
  status: number
  body: any
  text: string
}

/** A JSON client of `baseUrl`; `user` becomes the `x-user-id` header. */
export function client(baseUrl: string, user?: string) {
  const request = async (method: string, path: string, body?: unknown): Promise<JsonResponse> => {
    const headers: Record<string, string> = {}
    if (user) headers['x-user-id'] = user
    if (body !== undefined) headers['content-type'] = 'application/json'
    return readJsonResponse(await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15_000) }))
  }
  return {
    get: (path: string) => request('GET', path),
    post: (path: string, body?: unknown) => request('POST', path, body),
    put: (path: string, body?: unknown) => request('PUT', path, body),
    patch: (path: string, body?: unknown) => request('PATCH', path, body),
  }
}
export type Client = ReturnType<typeof client>

/** Throws with the answer unless it is a 2xx; answers the body. */
export async function ok(response: Promise<JsonResponse>, what: string): Promise<any> {
  const res = await response
  if (res.status < 200 || res.status > 299) throw new Error(`${what}: ${res.status} ${res.text}`)
  return res.body
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

export const uniqueSlug = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`

/** The demo's permissions and roles in a new organization, through the platform's HTTP API. */
export async function createDemoOrg(admin: Client, members: Record<string, string[]>): Promise<string> {
  const slug = uniqueSlug('deals')
  for (const key of ['deals.view', 'deals.edit', 'dashboard.view', 'commissions.manage']) {
    const res = await admin.post('/v1/permissions', { key })
    if (res.status !== 201 && res.status !== 409) throw new Error(`permission ${key}: ${res.status} ${res.text}`)
  }
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

/** Polls `probe` until it answers something other than undefined, or fails after `withinMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, withinMs: number, what: string): Promise<T> {
  const deadline = Date.now() + withinMs
  for (;;) {
    const found = await probe()
    if (found !== undefined) return found
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`)
    await sleep(20)
  }
}

/** Waits for a task to end on the platform (`GET /v1/tasks/:id`) and answers it. */
export function taskOutcome(admin: Client, id: string): Promise<any> {
  return eventually(
    async () => {
      const task = (await admin.get(`/v1/tasks/${id}`)).body
      return task && ['succeeded', 'dead', 'cancelled'].includes(task.status) ? task : undefined
    },
    10_000,
    `task ${id}`,
  )
}
