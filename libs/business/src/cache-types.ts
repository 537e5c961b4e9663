import { jsonCacheType, type CacheKey, type CacheType } from '@latchkey/cache'
import type { Dashboard, DealStats } from './model.ts'

/** The seed system's two business caches, with its TTLs as defaults. */
export const DEAL_STATS_TTL_MS = 15 * 60_000
export const DASHBOARD_TTL_MS = 10 * 60_000
export const DEAL_STATS_CACHE_TYPE = 'deal_stats'
export const DASHBOARD_CACHE_TYPE = 'dashboard'

export interface BusinessCacheTypes {
  /** Deal statistics per organization (id `*`) and per owner (id: the user's id). Partition: the organization's id. */
  dealStats: CacheType<DealStats>
  /** The organization's dashboard (id `*`). Partition: the organization's id. */
  dashboard: CacheType<Dashboard>
}

export function businessCacheTypes(ttl: { dealStatsMs?: number; dashboardMs?: number } = {}): BusinessCacheTypes {
  return {
    dealStats: jsonCacheType(DEAL_STATS_CACHE_TYPE, ttl.dealStatsMs ?? DEAL_STATS_TTL_MS),
    dashboard: jsonCacheType(DASHBOARD_CACHE_TYPE, ttl.dashboardMs ?? DASHBOARD_TTL_MS),
  }
}

const WHOLE_ORG = '*'

/** The id of a deal statistics entry: the whole organization, or one owner's deals. */
export const dealStatsId = (ownerId?: string | null): string => ownerId ?? WHOLE_ORG
export const dashboardId = (): string => WHOLE_ORG

/** Cache keys (type and id within the organization's partition), for invalidations. */
export const businessCacheKeys = {
  dealStats: (ownerId?: string | null): CacheKey => ({ type: DEAL_STATS_CACHE_TYPE, id: dealStatsId(ownerId) }),
  dashboard: (): CacheKey => ({ type: DASHBOARD_CACHE_TYPE, id: dashboardId() }),
  /** What a change to deals of these owners makes stale: the organization's figures, each owner's, the dashboard. */
  dealsChanged: (ownerIds: Iterable<string>): CacheKey[] => [
    businessCacheKeys.dealStats(),
    ...[...new Set(ownerIds)].sort().map((owner) => businessCacheKeys.dealStats(owner)),
    businessCacheKeys.dashboard(),
  ],
}
