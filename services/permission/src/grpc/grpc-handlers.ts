import type { sendUnaryData, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js'
import { ValidationError } from '@latchkey/errors'
import Type, { type TSchema } from 'typebox'
import Value from 'typebox/value'
import { bulkCheck, check, listUserPermissions, type CheckInput } from '../commands/check.ts'
import type { PermissionContext } from '../context.ts'
import { OrgSlug, PermissionKey, UserId } from '../schemas.ts'
import { toGrpcError } from './grpc-errors.ts'

interface CheckRequest {
  org: string
  user: string
  permission: string
  atLeastRevision: string
}

// Validated with the same names as the HTTP routes; an empty at_least_revision means "any".
const CheckRequestSchema = Type.Object({
  org: OrgSlug,
  user: UserId,
  permission: PermissionKey,
  atLeastRevision: Type.String({ pattern: '^[0-9]{0,15}$' }),
})
const ListRequestSchema = Type.Object({ org: OrgSlug, user: UserId, atLeastRevision: Type.String({ pattern: '^[0-9]{0,15}$' }) })
const maxBulkChecks = 1000

function validate<T>(schema: TSchema, value: unknown, what: string): T {
  if (Value.Check(schema, value)) return value as T
  const first = [...Value.Errors(schema, value)][0]
  throw new ValidationError(`${what}${first?.instancePath ?? ''} ${first?.message ?? 'is invalid'}`)
}

function unary<Req, Res>(handle: (request: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    handle(call.request).then(
      (response) => callback(null, response),
      (err) => callback(toGrpcError(err)),
    )
  }
}

const toInput = (request: CheckRequest): CheckInput => ({ ...request, atLeastRevision: request.atLeastRevision || undefined })

/** gRPC handlers: the same commands as the HTTP routes. */
export function permissionHandlers(ctx: PermissionContext): UntypedServiceImplementation {
  return {
    Check: unary(async (request: CheckRequest) => {
      const answer = await check(ctx, toInput(validate<CheckRequest>(CheckRequestSchema, request, 'request')))
      return { allowed: answer.allowed, revision: String(answer.revision) }
    }),
    BulkCheck: unary(async (request: { checks: CheckRequest[] }) => {
      if (request.checks.length === 0 || request.checks.length > maxBulkChecks) {
        throw new ValidationError(`checks must hold 1 to ${maxBulkChecks} items, not ${request.checks.length}`)
      }
      const inputs = request.checks.map((c, i) => toInput(validate<CheckRequest>(CheckRequestSchema, c, `checks/${i}`)))
      const answer = await bulkCheck(ctx, inputs)
      return { results: answer.results.map((r, i) => ({ allowed: r.allowed, revision: String(answer.revisions[inputs[i]!.org] ?? 0) })) }
    }),
    ListPermissions: unary(async (request: { org: string; user: string; atLeastRevision: string }) => {
      const input = validate<{ org: string; user: string; atLeastRevision: string }>(ListRequestSchema, request, 'request')
      const answer = await listUserPermissions(ctx, { ...input, atLeastRevision: input.atLeastRevision || undefined })
      return { permissions: answer.permissions, revision: String(answer.revision) }
    }),
  }
}
