export { buildDealsApp } from './app.ts'
export { DealsAppConfigSchema, type DealsAppConfig } from './config.ts'
