import { ErrorBody } from '../schemas.ts'

/** The error answers a route may give, for its OpenAPI description and response serialization. */
export function errorResponses(...codes: number[]): Record<number, typeof ErrorBody> {
  return Object.fromEntries([400, ...codes].map((code) => [code, ErrorBody]))
}
