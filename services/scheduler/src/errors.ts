import { defineError } from '@latchkey/errors'

// Errors of the schedule routes. Bad input never changes a stored schedule.
export const InvalidCronError = defineError<[string, string]>('LK_ERR_INVALID_CRON', 'Invalid cron expression %s: %s', 400)
export const UnknownTimezoneError = defineError<[string]>('LK_ERR_UNKNOWN_TIMEZONE', 'Unknown time zone %s: use an IANA name such as Europe/Paris or UTC', 400)
export const ScheduleNotFoundError = defineError<[string]>('LK_ERR_SCHEDULE_NOT_FOUND', 'Schedule %s does not exist', 404)
