import type { CacheType } from '@latchkey/cache'
import { PermissionSet } from './permission-set.ts'

/**
 * How a user's permissions are named and written in the cache: the permission service fills
 * these entries, its change events name them, and the client's L1 holds the same kind.
 */
export const userPermissionsCodec: Omit<CacheType<PermissionSet>, 'ttlMs'> = {
  name: 'user_permissions',
  encode: (value) => JSON.stringify(value.keys),
  decode: (text) => new PermissionSet(JSON.parse(text) as string[]),
}
