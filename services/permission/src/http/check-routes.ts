import type { HttpServer } from '@latchkey/http'
import { bulkCheck, check, listUserPermissions, type CheckAnswer } from '../commands/check.ts'
import type { PermissionContext } from '../context.ts'
import { BulkCheckBody, BulkCheckResult, CheckBody, CheckResult, MemberParams, UserPermissions, UserPermissionsQuery } from '../schemas.ts'
import { errorResponses } from './error-responses.ts'

const toCheckResult = (answer: CheckAnswer) => ({ allowed: answer.allowed, revision: String(answer.revision) })

export function checkRoutes(server: HttpServer, ctx: PermissionContext): void {
  server.post(
    '/v1/check',
    { schema: { tags: ['checks'], summary: 'May a user do something in an organization?', body: CheckBody, response: { 200: CheckResult, ...errorResponses(409) } } },
    // Not async: an answer from L1 is sent without a promise (see `check`).
    (request) => {
      const answer = check(ctx, request.body)
      return answer instanceof Promise ? answer.then(toCheckResult) : toCheckResult(answer)
    },
  )

  server.post(
    '/v1/check/bulk',
    { schema: { tags: ['checks'], summary: 'Up to 1,000 checks in one request', body: BulkCheckBody, response: { 200: BulkCheckResult, ...errorResponses(409) } } },
    async (request) => {
      const answer = await bulkCheck(ctx, request.body.checks)
      const revisions: Record<string, string> = {}
      for (const [org, revision] of Object.entries(answer.revisions)) revisions[org] = String(revision)
      return { results: answer.results, revisions }
    },
  )

  server.get(
    '/v1/orgs/:org/members/:user/permissions',
    {
      schema: {
        tags: ['checks'],
        summary: "A user's effective permissions in an organization",
        params: MemberParams,
        querystring: UserPermissionsQuery,
        response: { 200: UserPermissions, ...errorResponses(404, 409) },
      },
    },
    async (request) => {
      const answer = await listUserPermissions(ctx, { ...request.params, atLeastRevision: request.query.atLeastRevision })
      return { user: request.params.user, permissions: answer.permissions, revision: String(answer.revision) }
    },
  )
}
