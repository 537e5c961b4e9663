import { defineError } from '@latchkey/errors'

export const InvalidBusinessInputError = defineError<[string]>('LK_ERR_INVALID_BUSINESS_INPUT', '%s', 400)
