import type { HttpServer } from '@latchkey/http'
import { createOrganization, deleteOrganization, getOrganization, renameOrganization } from '../commands/organizations.ts'
import type { PermissionContext } from '../context.ts'
import type { OrgRow } from '../store/organizations.ts'
import { CreateOrgBody, OrgParams, Organization, RevisionOnly, UpdateOrgBody } from '../schemas.ts'
import { errorResponses } from './error-responses.ts'
import { requestMeta } from './request-meta.ts'

const present = (org: OrgRow) => ({ id: org.id, slug: org.slug, name: org.name, revision: String(org.revision) })

export function organizationRoutes(server: HttpServer, ctx: PermissionContext): void {
  server.post(
    '/v1/orgs',
    { schema: { tags: ['organizations'], body: CreateOrgBody, response: { 201: Organization, ...errorResponses(409) } } },
    async (request, reply) => reply.code(201).send(present(await createOrganization(ctx, request.body, requestMeta(request)))),
  )
  server.get(
    '/v1/orgs/:org',
    { schema: { tags: ['organizations'], params: OrgParams, response: { 200: Organization, ...errorResponses(404) } } },
    async (request) => present(await getOrganization(ctx, request.params.org)),
  )
  server.patch(
    '/v1/orgs/:org',
    { schema: { tags: ['organizations'], params: OrgParams, body: UpdateOrgBody, response: { 200: Organization, ...errorResponses(404) } } },
    async (request) => present(await renameOrganization(ctx, request.params.org, request.body.name, requestMeta(request))),
  )
  server.delete(
    '/v1/orgs/:org',
    { schema: { tags: ['organizations'], summary: 'Deletes the organization with its roles and memberships', params: OrgParams, response: { 200: RevisionOnly, ...errorResponses(404) } } },
    async (request) => {
      const { revision } = await deleteOrganization(ctx, request.params.org, requestMeta(request))
      return { revision: String(revision) }
    },
  )
}
