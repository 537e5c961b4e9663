export { defineError, type LatchkeyErrorCode } from './define-error.ts'
export * from './common-errors.ts'
export { toApiError, isDependencyOutage, type ApiError, type MappingContext } from './api-error.ts'
