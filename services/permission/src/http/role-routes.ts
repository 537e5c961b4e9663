import type { HttpServer } from '@latchkey/http'
import Type from 'typebox'
import { createRole, deleteRole, getRole, listRoles, replaceRole, type WrittenRole } from '../commands/roles.ts'
import type { PermissionContext } from '../context.ts'
import { CreateRoleBody, OrgParams, ReplaceRoleBody, RevisionOnly, Role, RoleParams, RoleWritten } from '../schemas.ts'
import { errorResponses } from './error-responses.ts'
import { requestMeta } from './request-meta.ts'

const present = (role: WrittenRole) => ({ ...role, revision: String(role.revision) })

export function roleRoutes(server: HttpServer, ctx: PermissionContext): void {
  server.post(
    '/v1/orgs/:org/roles',
    { schema: { tags: ['roles'], params: OrgParams, body: CreateRoleBody, response: { 201: RoleWritten, ...errorResponses(404, 409, 422) } } },
    async (request, reply) => reply.code(201).send(present(await createRole(ctx, request.params.org, request.body, requestMeta(request)))),
  )
  server.get(
    '/v1/orgs/:org/roles',
    { schema: { tags: ['roles'], params: OrgParams, response: { 200: Type.Object({ items: Type.Array(Role) }), ...errorResponses(404) } } },
    async (request) => ({ items: await listRoles(ctx, request.params.org) }),
  )
  server.get(
    '/v1/orgs/:org/roles/:role',
    { schema: { tags: ['roles'], params: RoleParams, response: { 200: Role, ...errorResponses(404) } } },
    async (request) => getRole(ctx, request.params.org, request.params.role),
  )
  server.put(
    '/v1/orgs/:org/roles/:role',
    {
      schema: {
        tags: ['roles'],
        summary: 'Replaces the permissions and inheritance of an existing role',
        params: RoleParams,
        body: ReplaceRoleBody,
        response: { 200: RoleWritten, ...errorResponses(404, 409, 422) },
      },
    },
    async (request) => present(await replaceRole(ctx, request.params.org, { name: request.params.role, ...request.body }, requestMeta(request))),
  )
  server.delete(
    '/v1/orgs/:org/roles/:role',
    { schema: { tags: ['roles'], params: RoleParams, response: { 200: RevisionOnly, ...errorResponses(404, 409) } } },
    async (request) => {
      const { revision } = await deleteRole(ctx, request.params.org, request.params.role, requestMeta(request))
      return { revision: String(revision) }
    },
  )
}
