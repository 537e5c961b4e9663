import { join } from 'node:path'
import { Duration, parseDuration } from '@latchkey/config'
import Type, { type Static } from 'typebox'

/**
 * The business processors' variables. Files and mail live under `DATA_DIR` unless placed
 * elsewhere: the container's root file system is read-only, so a deployment mounts a volume there.
 */
export const BusinessProcessConfigSchema = Type.Object({
  DATA_DIR: Type.String({ minLength: 1, default: './data', description: 'Writable directory holding the mail and file directories by default' }),
  FILE_STORAGE_DIR: Type.Optional(Type.String({ minLength: 1, description: 'Where uploaded files are stored (files.process reads them there); default DATA_DIR/files' })),
  MAIL_DIR: Type.Optional(Type.String({ minLength: 1, description: 'Without SMTP_URL, e-mail is written here as .eml files; default DATA_DIR/mail' })),
  SMTP_URL: Type.Optional(Type.String({ pattern: '^smtps?://[^\\s]+$', description: 'SMTP server for notifications.email (smtp://user:pass@host:587, smtps://...); unset: write to MAIL_DIR' })),
  MAIL_FROM: Type.String({ minLength: 3, default: 'Latchkey <no-reply@latchkey.local>', description: 'Sender of notification e-mail' }),
  PASSWORD_MAX_AGE: Duration('90d', 'auth.password_expiration_check: a password older than this has expired'),
  DEAL_VERIFICATION_REMINDER_AFTER: Duration('2d', 'business.deal_verification_reminders: remind when verification has been pending this long'),
  CACHE_TTL_DEAL_STATS: Duration('15m', 'Deal statistics entries (the seed system\'s TTL)'),
  CACHE_TTL_DASHBOARD: Duration('10m', 'Dashboard entries (the seed system\'s TTL)'),
  HEALTH_CHECK_TIMEOUT: Duration('2s', 'system.health_check: a component answering later than this is down'),
})

export type BusinessProcessConfig = Static<typeof BusinessProcessConfigSchema>

/** The directories and durations the processors use, resolved once. */
export interface BusinessSettings {
  fileStorageDir: string
  mailDir: string
  smtpUrl: string | undefined
  mailFrom: string
  passwordMaxAgeMs: number
  verificationReminderAfterMs: number
  healthCheckTimeoutMs: number
  ttl: { dealStatsMs: number; dashboardMs: number }
}

export function businessSettings(config: BusinessProcessConfig): BusinessSettings {
  return {
    fileStorageDir: config.FILE_STORAGE_DIR ?? join(config.DATA_DIR, 'files'),
    mailDir: config.MAIL_DIR ?? join(config.DATA_DIR, 'mail'),
    smtpUrl: config.SMTP_URL,
    mailFrom: config.MAIL_FROM,
    passwordMaxAgeMs: parseDuration(config.PASSWORD_MAX_AGE),
    verificationReminderAfterMs: parseDuration(config.DEAL_VERIFICATION_REMINDER_AFTER),
    healthCheckTimeoutMs: parseDuration(config.HEALTH_CHECK_TIMEOUT),
    ttl: { dealStatsMs: parseDuration(config.CACHE_TTL_DEAL_STATS), dashboardMs: parseDuration(config.CACHE_TTL_DASHBOARD) },
  }
}
