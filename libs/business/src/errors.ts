import { defineError } from '@latchkey/errors'

export const OrgNotFoundError = defineError<[string]>('LK_ERR_ORG_NOT_FOUND', 'Organization %s does not exist', 404)
export const InvalidBusinessInputError = defineError<[string]>('LK_ERR_INVALID_BUSINESS_INPUT', '%s', 400)
