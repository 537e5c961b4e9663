import { migrateDatabase } from '@latchkey/db'

// `npm run migrate`: applies pending migrations to DATABASE_URL and exits (what a Kubernetes Job runs).
const databaseUrl = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/latchkey'
const { applied } = await migrateDatabase({ databaseUrl, log: (message, fields) => console.log(message, fields ?? '') })
console.log(applied.length > 0 ? `applied ${applied.join(', ')}` : 'the database is up to date')
