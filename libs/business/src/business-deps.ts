import type { TieredCache } from '@latchkey/cache'
import type { Database } from '@latchkey/db'
import type { BusinessCacheTypes } from './cache-types.ts'

/** What the business functions need: the shared database and, where the process has one, the cache. */
export interface BusinessDeps {
  db: Database
  /** The process's cache: writes invalidate it at once after their commit; reads go through it. */
  cache?: TieredCache
  types: BusinessCacheTypes
}
