import { MemoryTier, TieredCache, type CacheType, type Revisioned } from '@latchkey/cache'
import { followL1FanOut, subjects } from '@latchkey/events'
import { PermissionSet, userPermissionsCodec } from '@latchkey/permission-set'
import type { Log } from '@latchkey/logger'
import type { NatsConnection } from '@nats-io/transport-node'
import { createNoopMeter, type Meter } from '@opentelemetry/api'
import { PermissionOrgNotFoundError } from './errors.ts'
import { createPermissionServiceStub, type PermissionServiceStub } from './permission-service-stub.ts'
import { toSlugInvalidations } from './slug-invalidations.ts'

export interface PermissionClientOptions {
  /** `host:port` of the permission service's gRPC server (`GRPC_PORT`). */
  address: string
  /**
   * A NATS connection to the platform's server (not closed by the client). With it the client
   * keeps an L1 of users' permission sets, fed by the platform's invalidation fan-out; without it
   * every question goes to the service.
   */
  nats?: NatsConnection
  /** The platform's `NATS_NAMESPACE` (default `latchkey`). */
  namespace?: string
  /** Longest wait for the service's answer (default 2 s): then the call fails, it never hangs. */
  deadlineMs?: number
  l1?: {
    maxEntries?: number
    maxBytes?: number
    /** Lifetime of a permission set (default 15 min, the service's own); the fan-out drops it sooner when it changes. */
    ttlMs?: number
  }
  /** While NATS is unreachable, the oldest L1 entry served (default 5 s, the platform's `CACHE_L1_DEGRADED_TTL`). */
  degradedTtlMs?: number
  /** How long a missing invalidation is awaited before its organization is dropped from L1 (default 5 s). */
  gapTimeoutMs?: number
  /** Where the L1's metrics go (the platform's `latchkey_cache_*` instruments); none by default. */
  meter?: Meter
  log?: Log
}

export interface RevisionOption {
  /** Answer from a state at least this new (a revision a write returned); older L1 entries are passed over. */
  atLeastRevision?: string | number | undefined
}

export interface CheckAnswer {
  allowed: boolean
  /** The organization's revision the answer reflects ("0" for an unknown organization). */
  revision: string
}

export interface CheckQuestion extends RevisionOption {
  org: string
  user: string
  permission: string
}

const parseRevision = (value: string | number | undefined): number => (value === undefined || value === '' ? 0 : Number(value))
const silent: Log = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} }

/**
 * Permission checks for a host application: `latchkey.permission.v1.PermissionService` over gRPC,
 * answered where it can be from an L1 of users' permission sets that the platform's invalidation
 * fan-out keeps fresh (the same `TieredCache`, partition marks and outage rules as the platform's
 * own replicas; its partitions are organization slugs). Create it with `createPermissionClient`.
 */
export class PermissionClient {
  private readonly stub: PermissionServiceStub
  private readonly cache: TieredCache
  private readonly type: CacheType<PermissionSet>
  private readonly stopFollowing: (() => void) | undefined

  constructor(options: PermissionClientOptions) {
    this.stub = createPermissionServiceStub(options.address, options.deadlineMs ?? 2_000)
    // The service's own kind of entry: the same name (its invalidations name it) and encoding.
    this.type = { ...userPermissionsCodec, ttlMs: options.l1?.ttlMs ?? 15 * 60_000 }
    const l1 = options.nats
      ? new MemoryTier({ maxEntries: options.l1?.maxEntries ?? 100_000, maxBytes: options.l1?.maxBytes ?? 64 * 1024 * 1024, gapTimeoutMs: options.gapTimeoutMs ?? 5_000 })
      : undefined
    const log = options.log ?? silent
    this.cache = new TieredCache({ l1, meter: options.meter ?? createNoopMeter(), log })
    this.stopFollowing = options.nats
      ? followL1FanOut(options.nats, {
          subjects: subjects(options.namespace ?? 'latchkey'),
          cache: this.cache,
          degradedTtlMs: options.degradedTtlMs ?? 5_000,
          log,
          apply: (message) => {
            for (const invalidation of toSlugInvalidations(message)) this.cache.invalidateLocal(invalidation)
          },
        })
      : undefined
  }

  /** True when answers may come from the client's own L1 (a NATS connection was given). */
  get cached(): boolean {
    return this.cache.hasLocalTier
  }

  /** May `user` do `permission` in `org`? Unknown organizations, users and permissions: false. */
  async check(org: string, user: string, permission: string, options: RevisionOption = {}): Promise<CheckAnswer> {
    if (!this.cached) {
      return this.stub.check({ org, user, permission, atLeastRevision: String(options.atLeastRevision ?? '') })
    }
    const set = await this.permissionSet(org, user, parseRevision(options.atLeastRevision))
    return set ? { allowed: set.value.has(permission), revision: String(set.revision) } : { allowed: false, revision: '0' }
  }

  /** Many checks (organizations may differ), answered in order; each (organization, user) pair is resolved once. */
  async bulkCheck(questions: CheckQuestion[]): Promise<CheckAnswer[]> {
    if (questions.length === 0) return []
    const asked = questions.map((q) => ({ org: q.org, user: q.user, permission: q.permission, atLeastRevision: String(q.atLeastRevision ?? '') }))
    if (!this.cached) return (await this.stub.bulkCheck({ checks: asked })).results
    // One token per organization, the newest asked, as the service's bulk check does.
    const minByOrg = new Map<string, number>()
    for (const q of questions) minByOrg.set(q.org, Math.max(minByOrg.get(q.org) ?? 0, parseRevision(q.atLeastRevision)))
    const sets = new Map<string, Promise<Revisioned<PermissionSet> | undefined>>()
    const pairKey = (q: CheckQuestion) => `${q.org}\u0000${q.user}`
    for (const q of questions) {
      if (!sets.has(pairKey(q))) sets.set(pairKey(q), this.permissionSet(q.org, q.user, minByOrg.get(q.org)!))
    }
    return Promise.all(
      questions.map(async (q) => {
        const set = await sets.get(pairKey(q))!
        return set ? { allowed: set.value.has(q.permission), revision: String(set.revision) } : { allowed: false, revision: '0' }
      }),
    )
  }

  /** The user's effective permissions in `org` (inherited ones included); an unknown organization is `LK_ERR_ORG_NOT_FOUND`. */
  async listPermissions(org: string, user: string, options: RevisionOption = {}): Promise<{ permissions: string[]; revision: string }> {
    const minRevision = parseRevision(options.atLeastRevision)
    const set = this.cached ? await this.permissionSet(org, user, minRevision) : await this.load(org, user, minRevision)
    if (!set) throw new PermissionOrgNotFoundError(`Organization ${org} does not exist`)
    return { permissions: set.value.keys, revision: String(set.revision) }
  }

  /** Hits and misses of the client's L1. */
  stats(): ReturnType<TieredCache['stats']['snapshot']> {
    return this.cache.stats.snapshot()
  }

  /** Stops following the fan-out and closes the gRPC channel (the NATS connection is the caller's). */
  close(): void {
    this.stopFollowing?.()
    this.stub.close()
  }

  /** The set from L1 when it is there and current enough, else from the service (and kept); undefined: no such organization. */
  private async permissionSet(org: string, user: string, minRevision: number): Promise<Revisioned<PermissionSet> | undefined> {
    try {
      return this.cache.peek(this.type, org, user, minRevision) ?? (await this.cache.get(this.type, org, user, () => this.load(org, user, minRevision), minRevision))
    } catch (err) {
      if (err instanceof PermissionOrgNotFoundError) return undefined
      throw err
    }
  }

  private async load(org: string, user: string, minRevision: number): Promise<Revisioned<PermissionSet>> {
    const answer = await this.stub.listPermissions({ org, user, atLeastRevision: minRevision > 0 ? String(minRevision) : '' })
    return { value: new PermissionSet(answer.permissions), revision: Number(answer.revision) }
  }
}

/**
 * A client ready to answer: its fan-out subscription is registered with the NATS server before
 * the first answer is kept, so no invalidation published after that can be missed.
 */
export async function createPermissionClient(options: PermissionClientOptions): Promise<PermissionClient> {
  const client = new PermissionClient(options)
  await options.nats?.flush()
  return client
}
