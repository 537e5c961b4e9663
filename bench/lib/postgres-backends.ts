// The PostgreSQL server processes serving one database, so that their CPU can be told apart from
// that of other databases on the same server (other benchmarks, tests).
import pg from 'pg'

export async function postgresBackends(databaseUrl: string): Promise<number[]> {
  const url = new URL(databaseUrl)
  const database = decodeURIComponent(url.pathname.slice(1))
  url.pathname = '/postgres'
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database])
    return rows.map((r) => r.pid)
  } finally {
    await client.end()
  }
}
