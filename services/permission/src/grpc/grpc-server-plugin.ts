import { Server, ServerCredentials } from '@grpc/grpc-js'
import fp from 'fastify-plugin'
import type { PermissionContext } from '../context.ts'
import { permissionHandlers } from './grpc-handlers.ts'
import { loadPermissionService } from './load-proto.ts'

/** Serves `latchkey.permission.v1.PermissionService` on its own port beside the HTTP server. */
export const grpcServerPlugin = fp<{ host: string; port: number; context: PermissionContext }>(
  async (fastify, options) => {
    const server = new Server()
    server.addService(loadPermissionService().service, permissionHandlers(options.context))
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${options.host}:${options.port}`, ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
    )
    fastify.log.info({ port }, 'gRPC server listening')
    fastify.decorate('grpcPort', port)
    fastify.addHook('onClose', async () => {
      // Lets calls in flight finish, but not forever.
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown()
          resolve()
        }, 5_000)
        server.tryShutdown(() => {
          clearTimeout(force)
          resolve()
        })
      })
    })
  },
  { name: 'permission-grpc' },
)

declare module 'fastify' {
  interface FastifyInstance {
    grpcPort: number
  }
}
