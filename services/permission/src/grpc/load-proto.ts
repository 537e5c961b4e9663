import { fileURLToPath } from 'node:url'
import * as grpc from '@grpc/grpc-js'
import * as protoLoader from '@grpc/proto-loader'

/** The shipped .proto (services/permission/proto), loaded at run time: the one source of the API. */
export const protoPath = fileURLToPath(new URL('../../proto/latchkey/permission/v1/permission.proto', import.meta.url))

export function loadPermissionService(): grpc.ServiceClientConstructor {
  const definition = protoLoader.loadSync(protoPath, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true })
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    latchkey: { permission: { v1: { PermissionService: grpc.ServiceClientConstructor } } }
  }
  return loaded.latchkey.permission.v1.PermissionService
}
