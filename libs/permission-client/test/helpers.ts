// Shared setup of the permission client's tests: the platform's permission service and
// cache-invalidator (in this process, with a database, Redis prefix and NATS namespace of their
// own), an admin client of its HTTP API for fixtures, and permission clients connected to it
// through gRPC and the platform's NATS, as a host application would be.
import { randomBytes } from 'node:crypto'
import { cacheInvalidatorTarget } from '@latchkey/cache-invalidator'
import { permissionTarget } from '@latchkey/permission'
import { readJsonResponse, startTestApp, type TestApp } from '@latchkey/testing'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { createPermissionClient, type PermissionClient, type PermissionClientOptions } from '../src/index.ts'

type Teardown = { teardown(fn: () => unknown): void }

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
export const uniqueSlug = (prefix: string): string => `${prefix}-${randomBytes(4).toString('hex')}`

export interface Platform {
  app: TestApp
  grpcAddress: string
  /** A write through the HTTP API; throws unless 2xx; answers the body. */
  write(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<any>
  /** A permission client of this platform with its own NATS connection (both closed at teardown). */
  client(t: Teardown, options?: Partial<PermissionClientOptions>): Promise<PermissionClient>
}

export async function startPlatform(t: Teardown, env: Record<string, string> = {}): Promise<Platform> {
  const app = await startTestApp(t, { registry: { permission: permissionTarget, 'cache-invalidator': cacheInvalidatorTarget }, env })
  const write = async (method: string, path: string, body?: unknown) => {
    const res = await readJsonResponse(
      await fetch(`${app.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }),
    )
    if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: ${res.status} ${res.text}`)
    return res.body
  }
  const grpcAddress = `127.0.0.1:${(app.app as unknown as { grpcPort: number }).grpcPort}`
  return {
    app,
    grpcAddress,
    write,
    async client(t, options = {}) {
      const nats: NatsConnection = await connect({ servers: app.config.NATS_URL, maxReconnectAttempts: -1, reconnectTimeWait: 200 })
      const client = await createPermissionClient({ address: grpcAddress, nats, namespace: app.config.NATS_NAMESPACE, ...options })
      t.teardown(async () => {
        client.close()
        await nats.close()
      })
      return client
    },
  }
}

/** An organization with roles and members, made through the HTTP API; answers its slug and last revision. */
export async function createOrg(
  platform: Platform,
  spec: { roles: Record<string, string[]>; members: Record<string, string[]> },
): Promise<{ slug: string; revision: string }> {
  const slug = uniqueSlug('client')
  const keys = new Set(Object.values(spec.roles).flat())
  for (const key of keys) await platform.write('POST', '/v1/permissions', { key }).catch((err: Error) => (/ 409 /.test(err.message) ? undefined : Promise.reject(err)))
  let revision = (await platform.write('POST', '/v1/orgs', { slug, name: slug })).revision as string
  for (const [name, permissions] of Object.entries(spec.roles)) revision = (await platform.write('POST', `/v1/orgs/${slug}/roles`, { name, permissions })).revision
  for (const [user, roles] of Object.entries(spec.members)) {
    await platform.write('PUT', `/v1/users/${user}`, { email: `${user}@example.com` })
    revision = (await platform.write('PUT', `/v1/orgs/${slug}/members/${user}`, { roles })).revision
  }
  return { slug, revision }
}

/** Polls `probe` until it answers true, or fails after `withinMs`; answers how long it took (ms). */
export async function eventually(probe: () => Promise<boolean>, withinMs: number): Promise<number> {
  const started = performance.now()
  while (!(await probe())) {
    if (performance.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`)
    await sleep(5)
  }
  return performance.now() - started
}
