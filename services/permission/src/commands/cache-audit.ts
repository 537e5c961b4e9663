import type { TieredCache } from '@latchkey/cache'
import { userPermissionsCodec } from '@latchkey/permission-set'
import { loadManyUserPermissions } from '../store/effective-permissions.ts'
import type { Reader } from '../store/transaction.ts'

/** A cached entry that disagrees with PostgreSQL. */
export interface CacheMismatch {
  org: string
  user: string
  cached: string[]
  actual: string[]
  /** The revision the entry is vouched for, and the organization's in PostgreSQL. */
  cachedRevision: number
  revision: number
}

export interface CacheAuditReport {
  /** Entries sampled from Redis. */
  sampled: number
  matched: number
  mismatched: number
  /** Entries that expired or were invalidated between sampling and reading. */
  vanished: number
  /** The first mismatches found (at most 20). */
  mismatches: CacheMismatch[]
}

const sameKeys = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((key, i) => key === b[i])

type Verdict = { kind: 'matched' | 'vanished' } | { kind: 'mismatched'; mismatch: CacheMismatch }

async function compare(db: Reader, cache: TieredCache, entries: { partition: string; id: string }[]): Promise<Map<string, Verdict>> {
  const verdicts = new Map<string, Verdict>()
  const byOrg = new Map<string, string[]>()
  for (const { partition, id } of entries) byOrg.set(partition, [...(byOrg.get(partition) ?? []), id])
  for (const [org, users] of byOrg) {
    const loaded = await loadManyUserPermissions(db, org, users)
    for (const user of users) {
      const cached = await cache.readShared(userPermissionsCodec, org, user)
      const actual = loaded.permissions.get(user) ?? []
      const verdict: Verdict = !cached
        ? { kind: 'vanished' }
        : sameKeys(cached.value.keys, actual)
          ? { kind: 'matched' }
          : { kind: 'mismatched', mismatch: { org, user, cached: cached.value.keys, actual, cachedRevision: cached.revision, revision: loaded.revision } }
      verdicts.set(`${org}\n${user}`, verdict)
    }
  }
  return verdicts
}

/**
 * Samples users' cached permissions in Redis (L2) and compares each with what PostgreSQL says
 * now. An entry that differs is read again after `recheckAfterMs`, so that a change whose
 * invalidation is still on its way (milliseconds) is not reported: what still differs then is a
 * cache that serves a wrong answer, which the exact invalidation should never allow.
 */
export async function auditCachedPermissions(deps: { db: Reader; cache: TieredCache }, options: { sample: number; recheckAfterMs: number }): Promise<CacheAuditReport> {
  const entries = await deps.cache.sampleShared(userPermissionsCodec.name, options.sample)
  const first = await compare(deps.db, deps.cache, entries)
  const suspects = entries.filter(({ partition, id }) => first.get(`${partition}\n${id}`)?.kind === 'mismatched')
  if (suspects.length > 0) {
    await new Promise((resolve) => setTimeout(resolve, options.recheckAfterMs))
    for (const [key, verdict] of await compare(deps.db, deps.cache, suspects)) first.set(key, verdict)
  }
  const verdicts = [...first.values()]
  const mismatches = verdicts.flatMap((v) => (v.kind === 'mismatched' ? [v.mismatch] : []))
  return {
    sampled: entries.length,
    matched: verdicts.filter((v) => v.kind === 'matched').length,
    mismatched: mismatches.length,
    vanished: verdicts.filter((v) => v.kind === 'vanished').length,
    mismatches: mismatches.slice(0, 20),
  }
}
