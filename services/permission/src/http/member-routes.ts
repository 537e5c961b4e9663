import type { HttpServer } from '@latchkey/http'
import { removeMembership, setMembership } from '../commands/members.ts'
import type { PermissionContext } from '../context.ts'
import { MemberParams, Membership, MembershipBody, RevisionOnly } from '../schemas.ts'
import { errorResponses } from './error-responses.ts'
import { requestMeta } from './request-meta.ts'

export function memberRoutes(server: HttpServer, ctx: PermissionContext): void {
  server.put(
    '/v1/orgs/:org/members/:user',
    { schema: { tags: ['members'], params: MemberParams, body: MembershipBody, response: { 200: Membership, ...errorResponses(404, 422) } } },
    async (request) => {
      const membership = await setMembership(ctx, { ...request.params, roles: request.body.roles }, requestMeta(request))
      return { ...membership, revision: String(membership.revision) }
    },
  )
  server.delete(
    '/v1/orgs/:org/members/:user',
    { schema: { tags: ['members'], params: MemberParams, response: { 200: RevisionOnly, ...errorResponses(404) } } },
    async (request) => {
      const { revision } = await removeMembership(ctx, request.params, requestMeta(request))
      return { revision: String(revision) }
    },
  )
}
