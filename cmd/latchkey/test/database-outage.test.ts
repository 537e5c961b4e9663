import t from 'tap'
import { spawnProgram, startPrivatePostgres } from '@latchkey/testing'

// PostgreSQL going away while the program runs: cached checks keep answering, writes and
// readiness say "unavailable" (503 with an LK_ code, never a crash), and when PostgreSQL
// returns everything works again without a restart.

t.test('a PostgreSQL outage degrades the service and it recovers by itself', async (t) => {
  const postgres = await startPrivatePostgres(t)
  const program = await spawnProgram(t, { DATABASE_URL: postgres.url, CACHE_L2_ENABLED: 'false' })
  const call = async (path: string, body?: unknown, method = body === undefined ? 'GET' : 'POST') => {
    const response = await fetch(`${program.url}${path}`, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    })
    return { status: response.status, body: (await response.json()) as Record<string, any> }
  }
  await call('/v1/permissions', { key: 'deals.view' })
  await call('/v1/orgs', { slug: 'outage', name: 'Outage' })
  await call('/v1/orgs/outage/roles', { name: 'viewer', permissions: ['deals.view'] })
  await call('/v1/users/ann', { email: 'ann@example.com' }, 'PUT')
  await call('/v1/orgs/outage/members/ann', { roles: ['viewer'] }, 'PUT')
  const check = { org: 'outage', user: 'ann', permission: 'deals.view' }
  t.match((await call('/v1/check', check)).body, { allowed: true })

  await postgres.stop()
  t.match(await call('/v1/check', check), { status: 200, body: { allowed: true } }, 'a cached check still answers')
  t.match(await call('/v1/orgs/outage/members/ann', { roles: [] }, 'PUT'), { status: 503, body: { code: 'LK_ERR_UNAVAILABLE' } }, 'a write is refused as unavailable')
  const unready = await call('/readyz')
  t.match(unready, { status: 503, body: { status: 'unready', checks: { postgresql: { state: 'down' } } } })
  t.equal((await call('/healthz')).status, 200, 'the process itself is alive')

  await postgres.start()
  let recovered = await call('/readyz')
  for (let waited = 0; recovered.status !== 200 && waited < 15_000; waited += 250) {
    await new Promise((resolve) => setTimeout(resolve, 250))
    recovered = await call('/readyz')
  }
  t.equal(recovered.status, 200, 'ready again without a restart')
  t.match(await call('/v1/orgs/outage/members/ann', { roles: [] }, 'PUT'), { status: 200 })
  t.match((await call('/v1/check', check)).body, { allowed: false }, 'and the write is reflected at once')
})
