import type { Database } from '@latchkey/db'

/** A Prisma interactive transaction: what every store function that writes receives. */
export type Tx = Parameters<Parameters<Database['$transaction']>[0]>[0]
/** Either the client or a transaction: read functions work inside and outside a write. */
export type Reader = Database | Tx
