import { PrismaPg } from '@prisma/adapter-pg'
import { PrismaClient } from './generated/prisma/client.ts'

export type Database = InstanceType<typeof PrismaClient>

/** Prisma Client over node-postgres (`@prisma/adapter-pg`), with a bounded pool. */
export function createPrismaClient(options: { url: string; poolSize: number }): Database {
  const adapter = new PrismaPg({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: 3_000,
    idleTimeoutMillis: 30_000,
  })
  return new PrismaClient({ adapter })
}
