import fp from 'fastify-plugin'
import { parseDuration } from '@latchkey/config'
import type { HttpServer } from '@latchkey/http'
import type {} from '@latchkey/events'
import { permissionCacheTypes } from './cache-types.ts'
import { registerCheckWarmers } from './commands/resolve.ts'
import type { PermissionConfig } from './config.ts'
import type { PermissionContext } from './context.ts'
import { grpcServerPlugin } from './grpc/grpc-server-plugin.ts'
import { outboxRelayPlugin } from './outbox-relay/outbox-relay-plugin.ts'
import { catalogRoutes } from './http/catalog-routes.ts'
import { checkRoutes } from './http/check-routes.ts'
import { memberRoutes } from './http/member-routes.ts'
import { organizationRoutes } from './http/organization-routes.ts'
import { roleRoutes } from './http/role-routes.ts'

declare module 'fastify' {
  interface FastifyInstance {
    permissions: PermissionContext
  }
}

/**
 * The permission service: organizations, roles, members and checks over HTTP and gRPC, both
 * calling the same commands (src/commands) through the same context.
 */
export const permissionService = fp<{ config: PermissionConfig & { HOST: string; DATABASE_URL: string } }>(
  async (fastify, { config }) => {
    const context: PermissionContext = {
      db: fastify.db,
      cache: fastify.cache,
      log: fastify.log,
      types: permissionCacheTypes({
        organization: parseDuration(config.CACHE_TTL_ORGANIZATION),
        userPermissions: parseDuration(config.CACHE_TTL_USER_PERMISSIONS),
        rolePermissions: parseDuration(config.CACHE_TTL_ROLE_PERMISSIONS),
        orgRoles: parseDuration(config.CACHE_TTL_ORG_ROLES),
      }),
    }
    fastify.decorate('permissions', context)
    registerCheckWarmers(context)
    const server = fastify as unknown as HttpServer
    catalogRoutes(server, context)
    organizationRoutes(server, context)
    roleRoutes(server, context)
    memberRoutes(server, context)
    checkRoutes(server, context)
    await fastify.register(grpcServerPlugin, { host: config.HOST, port: config.GRPC_PORT, context })
    await fastify.register(outboxRelayPlugin, { databaseUrl: config.DATABASE_URL, subjects: fastify.subjects, meter: fastify.metrics.meter })
  },
  { name: 'permission-service', dependencies: ['database', 'cache', 'nats'] },
)
