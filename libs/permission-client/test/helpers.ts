// Shared setup of the permission client's tests: the platform's permission service and
// cache-invalidator (in this process, with a database, Redis prefix and NATS namespace of their
// own), an admin client of its HTTP API for fixtures, and permission clients connected to it
// through gRPC and the platform's NATS, as a host application would be.
import { cacheInvalidatorTarget } from '@latchkey/cache-invalidator'
import { permissionTarget } from '@latchkey/permission'
import { ensurePermissions, expect2xx, jsonClient, startTestApp, timeUntil, uniqueSlug, type JsonClient, type TestApp } from '@latchkey/testing'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { createPermissionClient, type PermissionClient, type PermissionClientOptions } from '../src/index.ts'

type Teardown = { teardown(fn: () => unknown): void }

export interface Platform {
  app: TestApp
  grpcAddress: string
  /** The platform's HTTP API, for fixtures. */
  admin: JsonClient
  /** A write through the HTTP API; throws unless 2xx; answers the body. */
  write(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<any>
  /** A permission client of this platform with its own NATS connection (both closed at teardown). */
  client(t: Teardown, options?: Partial<PermissionClientOptions>): Promise<PermissionClient>
}

export async function startPlatform(t: Teardown, env: Record<string, string> = {}): Promise<Platform> {
  const app = await startTestApp(t, { registry: { permission: permissionTarget, 'cache-invalidator': cacheInvalidatorTarget }, env })
  const admin = jsonClient(app.url)
  const grpcAddress = `127.0.0.1:${(app.app as unknown as { grpcPort: number }).grpcPort}`
  return {
    app,
    grpcAddress,
    admin,
    write: async (method, path, body) => expect2xx(await admin.request(method, path, body), `${method} ${path}`).body,
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
  await ensurePermissions(platform.admin, [...new Set(Object.values(spec.roles).flat())])
  let revision = (await platform.write('POST', '/v1/orgs', { slug, name: slug })).revision as string
  for (const [name, permissions] of Object.entries(spec.roles)) revision = (await platform.write('POST', `/v1/orgs/${slug}/roles`, { name, permissions })).revision
  for (const [user, roles] of Object.entries(spec.members)) {
    await platform.write('PUT', `/v1/users/${user}`, { email: `${user}@example.com` })
    revision = (await platform.write('PUT', `/v1/orgs/${slug}/members/${user}`, { roles })).revision
  }
  return { slug, revision }
}

/**
 * Polls `probe` every 5 ms until it answers true, or fails after `withinMs` (a probe that throws
 * fails it at once); answers how long it took (ms).
 */
export async function eventually(probe: () => Promise<boolean>, withinMs: number): Promise<number> {
  const { elapsedMs } = await timeUntil('the probe to answer true', async () => (await probe()) || undefined, { timeoutMs: withinMs, intervalMs: 5, failOnError: true })
  return elapsedMs
}
