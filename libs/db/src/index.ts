export { createPrismaClient, type Database } from './create-prisma-client.ts'
export { databasePlugin, DatabaseUnreachableError, type DatabasePluginOptions } from './database-plugin.ts'
export { migrateDatabase, ensureDatabase, databaseName, maintenanceUrl, quoteIdent } from './migrate.ts'
export { Prisma } from './generated/prisma/client.ts'
