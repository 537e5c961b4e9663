import pg from 'pg'

/** One query on a database (the test's view of what the processes under test wrote); answers the rows. */
export async function queryDatabase<R extends pg.QueryResultRow = any>(databaseUrl: string, text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    return (await client.query<R>(text, values)).rows
  } finally {
    await client.end()
  }
}
