import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'
import { fileURLToPath } from 'node:url'
import { PermissionOrgNotFoundError, PermissionRequestInvalidError, PermissionRevisionAheadError, PermissionServiceUnavailableError } from './errors.ts'

// The .proto the permission service ships (and serves): the one source of the API.
const protoPath = fileURLToPath(import.meta.resolve('@latchkey/permission/proto/permission.proto'))

export interface CheckRequest {
  org: string
  user: string
  permission: string
  atLeastRevision: string
}
export interface CheckResponse {
  allowed: boolean
  revision: string
}
export interface ListPermissionsRequest {
  org: string
  user: string
  atLeastRevision: string
}
export interface ListPermissionsResponse {
  permissions: string[]
  revision: string
}

/** The three calls of `latchkey.permission.v1.PermissionService`, each bounded by a deadline. */
export interface PermissionServiceStub {
  check(request: CheckRequest): Promise<CheckResponse>
  bulkCheck(request: { checks: CheckRequest[] }): Promise<{ results: CheckResponse[] }>
  listPermissions(request: ListPermissionsRequest): Promise<ListPermissionsResponse>
  close(): void
}

type UnaryMethod = (request: unknown, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (err: grpc.ServiceError | null, response: unknown) => void) => void

export function createPermissionServiceStub(address: string, deadlineMs: number): PermissionServiceStub {
  const definition = protoLoader.loadSync(protoPath, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true })
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    latchkey: { permission: { v1: { PermissionService: grpc.ServiceClientConstructor } } }
  }
  const client = new loaded.latchkey.permission.v1.PermissionService(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, UnaryMethod>
  const call = <Res>(method: string, request: unknown): Promise<Res> =>
    new Promise((resolve, reject) => {
      // A deadline on every call: a stopped or unreachable server is an error, never a hang.
      client[method]!.call(client, request, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (err, response) =>
        err ? reject(toClientError(err, address)) : resolve(response as Res),
      )
    })
  return {
    check: (request) => call('Check', request),
    bulkCheck: (request) => call('BulkCheck', request),
    listPermissions: (request) => call('ListPermissions', request),
    close: () => client.close(),
  }
}

const reasons: Partial<Record<grpc.status, string>> = {
  [grpc.status.UNAVAILABLE]: 'not reachable',
  [grpc.status.DEADLINE_EXCEEDED]: 'no answer within the deadline',
}

/** The service's refusals keep their LK_ code; anything else means the service cannot answer. */
function toClientError(err: grpc.ServiceError, address: string): Error {
  const code = err.metadata?.get('lk-code')[0]?.toString()
  const message = err.details.replace(/^LK_ERR_[A-Z_]+: /, '')
  if (code === 'LK_ERR_ORG_NOT_FOUND') return new PermissionOrgNotFoundError(message)
  if (code === 'LK_ERR_REVISION_AHEAD') return new PermissionRevisionAheadError(message)
  if (code === 'LK_ERR_VALIDATION') return new PermissionRequestInvalidError(message)
  // The transport's own details (socket errors) stay out of the message: it is shown to API callers.
  const reason = reasons[err.code] ?? `gRPC status ${grpc.status[err.code] ?? err.code}`
  return new PermissionServiceUnavailableError(`${reason} at ${address}`)
}
