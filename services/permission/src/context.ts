import type { TieredCache } from '@latchkey/cache'
import type { Database } from '@latchkey/db'
import type { Log } from '@latchkey/logger'
import type { PermissionCacheTypes } from './cache-types.ts'

/** What every command needs; built once by the service plugin and shared by HTTP and gRPC. */
export interface PermissionContext {
  db: Database
  cache: TieredCache
  types: PermissionCacheTypes
  log: Log
}

/** Facts about the caller's request that commands record with a change. */
export interface RequestMeta {
  /** W3C trace context headers (traceparent, tracestate) of the request, stored with its outbox event. */
  traceContext: Record<string, string>
}
