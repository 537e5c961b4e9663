export { DEAL_STAGES, OPEN_STAGES, VERIFICATION_STATUSES, periodOf, type Amount, type Dashboard, type DealStage, type DealStats, type VerificationStatus } from './model.ts'
export {
  businessCacheTypes,
  businessCacheKeys,
  dealStatsId,
  dashboardId,
  DEAL_STATS_TTL_MS,
  DASHBOARD_TTL_MS,
  DEAL_STATS_CACHE_TYPE,
  DASHBOARD_CACHE_TYPE,
  type BusinessCacheTypes,
} from './cache-types.ts'
export type { BusinessDeps } from './business-deps.ts'
export { writeBusinessChange, type BusinessChange, type OrgRef } from './org-write.ts'
export { OrgNotFoundError, InvalidBusinessInputError } from './errors.ts'
export { dealStats, dashboard, loadDealStats, loadDashboard, registerBusinessWarmers } from './read-figures.ts'
