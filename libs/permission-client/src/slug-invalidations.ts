import type { Invalidation } from '@latchkey/cache'
import type { L1InvalidationMessage } from '@latchkey/events'

/** The client's one cache type: a user's effective permissions in an organization. */
export const USER_PERMISSIONS = 'user_permissions'

const slugPrefix = 'slug:'

/**
 * The permission service partitions its cache by organization id; a host application knows an
 * organization only by its slug (the gRPC answers carry no id). Every change event names both
 * (every writer builds them with `orgWriteInvalidations` from `@latchkey/events`): its
 * invalidations hold the organization's id partition (the entries the change made stale) and
 * its `slug:<slug>` partition, at the same revision, and the invalidator fans out one message per
 * event. So each event becomes one invalidation of the client's partition, the slug, keeping the
 * user permission sets it names; where the entries cannot be told (no id partition beside the
 * slug, or a whole organization dropped) the whole slug is dropped.
 */
export function toSlugInvalidations(message: L1InvalidationMessage): Invalidation[] {
  const translated: Invalidation[] = []
  for (const named of message.invalidations) {
    if (!named.partition.startsWith(slugPrefix)) continue
    const sameEvent = message.invalidations.filter((other) => !other.partition.startsWith(slugPrefix) && other.revision === named.revision)
    const whole = sameEvent.length === 0 || sameEvent.some((other) => other.entries === 'all')
    translated.push({
      partition: named.partition.slice(slugPrefix.length),
      revision: named.revision,
      entries: whole ? 'all' : sameEvent.flatMap((other) => (other.entries === 'all' ? [] : other.entries.filter((entry) => entry.type === USER_PERMISSIONS))),
    })
  }
  return translated
}
