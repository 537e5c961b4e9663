import { defineError } from '@latchkey/errors'

export const UnknownAlertRuleError = defineError<[string]>('LK_ERR_ALERT_RULE_NOT_FOUND', 'No alert rule named %s', 404)
