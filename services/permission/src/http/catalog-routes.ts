import type { HttpServer } from '@latchkey/http'
import Type from 'typebox'
import { createPermission, listPermissions, upsertUser } from '../commands/catalog.ts'
import type { PermissionContext } from '../context.ts'
import { Permission, PermissionBody, User, UserBody, UserParams } from '../schemas.ts'
import { errorResponses } from './error-responses.ts'
import { requestMeta } from './request-meta.ts'

export function catalogRoutes(server: HttpServer, ctx: PermissionContext): void {
  server.post(
    '/v1/permissions',
    { schema: { tags: ['permissions'], body: PermissionBody, response: { 201: Permission, ...errorResponses(409) } } },
    async (request, reply) => reply.code(201).send(await createPermission(ctx, request.body, requestMeta(request))),
  )
  server.get(
    '/v1/permissions',
    { schema: { tags: ['permissions'], response: { 200: Type.Object({ items: Type.Array(Permission) }) } } },
    async () => ({ items: await listPermissions(ctx) }),
  )
  server.put(
    '/v1/users/:user',
    { schema: { tags: ['users'], summary: 'Creates or updates a user', params: UserParams, body: UserBody, response: { 200: User } } },
    async (request) => {
      const { email, name, passwordChangedAt } = request.body
      const user = await upsertUser(
        ctx,
        { id: request.params.user, email, name: name ?? null, passwordChangedAt: passwordChangedAt ? new Date(passwordChangedAt) : null },
        requestMeta(request),
      )
      return { ...user, passwordChangedAt: user.passwordChangedAt?.toISOString() ?? null }
    },
  )
}
