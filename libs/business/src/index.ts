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
export { InvalidBusinessInputError } from './errors.ts'
export { resolveOrgId } from './org-lookup.ts'
export { dealStats, dashboard, loadDealStats, loadDashboard, registerBusinessWarmers } from './read-figures.ts'
export { listDeals, createDeal, updateDeal, type DealRow } from './deals.ts'
export { WORKFLOW_RULES, VERIFICATION_THRESHOLD, nextMove, type WorkflowRule, type DealFacts, type DealMove } from './workflow-rules.ts'
export { runDealAutomation, type DealAutomationResult } from './deal-automation.ts'
export { verificationReminder, passwordExpired, type NotificationDraft } from './notification-templates.ts'
export { recordNotifications } from './notifications.ts'
export { remindPendingVerifications, type RemindersResult } from './verification-reminders.ts'
export { notifyExpiredPasswords, type PasswordExpirationResult } from './password-expiration.ts'
export { calculateCommissions, periodBounds, PERIOD_PATTERN, type CommissionResult } from './commissions.ts'
export { resolveStoredFile, inspectFile, mimeTypeOf, type FileFacts } from './file-inspection.ts'
export { processUploadedFile, type FileToProcess, type FileProcessingResult } from './file-processing.ts'
export { createMailTransport, type MailTransport, type MailMessage } from './mail-transport.ts'
export { sendNotification, type SendResult } from './send-notification.ts'
export { probeComponents, recordHealthCheck, type ComponentHealth, type HealthReport } from './health-check.ts'
export { warmBusinessCaches } from './cache-warming.ts'
