import fp from 'fastify-plugin'
import type {} from '@latchkey/nats'
import { createPermissionClient } from '@latchkey/permission-client'
import { PermissionDeniedError } from '../errors.ts'
import { actingUserId } from './acting-user.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission the acting user needs in the route's `:org` (checked before the handler runs). */
    permission?: string
  }
}

export interface PermissionChecksOptions {
  address: string
  namespace: string
  deadlineMs: number
  degradedTtlMs: number
  gapTimeoutMs: number
}

/**
 * Every route under `/orgs/:org` names the permission it needs (`config.permission`) and is
 * refused with 403 `LK_ERR_PERMISSION_DENIED` without it: checked here, in one place, through the
 * platform's permission client (gRPC, answered from its L1 that the platform's invalidation
 * fan-out keeps fresh). A route under `/orgs/` that names no permission is refused at start-up.
 */
export const permissionChecks = fp<PermissionChecksOptions>(
  async (fastify, options) => {
    const client = await createPermissionClient({
      address: options.address,
      nats: fastify.nats,
      namespace: options.namespace,
      deadlineMs: options.deadlineMs,
      degradedTtlMs: options.degradedTtlMs,
      gapTimeoutMs: options.gapTimeoutMs,
      log: fastify.log,
    })
    fastify.addHook('onRoute', (route) => {
      if (route.url.startsWith('/orgs/') && !route.config?.permission) throw new Error(`${route.method} ${route.url} names no permission`)
    })
    fastify.addHook('preHandler', async (request) => {
      const permission = request.routeOptions.config?.permission
      if (!permission) return
      const { org } = request.params as { org: string }
      const user = actingUserId(request)
      const { allowed } = await client.check(org, user, permission)
      if (!allowed) throw new PermissionDeniedError(user, permission, org)
    })
    fastify.addHook('onClose', async () => client.close())
  },
  { name: 'permission-checks', dependencies: ['nats', 'acting-user'] },
)
