import t from 'tap'
import { createOrgFixture, jsonClient, queryDatabase } from '@latchkey/testing'
import { startPermissionApp } from './helpers.ts'

// A bulk check of 1,000 different users on a cold cache: every pair missing from both caches
// must be read in a few statements, not 1,000 at once (which exhausts the connection pool).

t.test('1,000 checks of 1,000 different users on a cold cache answer correctly, in order', async (t) => {
  const app = await startPermissionApp(t, { DATABASE_POOL_SIZE: '4' })
  const client = jsonClient(app.url)
  const fixture = await createOrgFixture(client, { roles: { viewer: { permissions: ['deals.view'] } } })
  // Users and memberships straight into the test's database: the API path is tested elsewhere,
  // and 2,000 writes through it would only make this test slow.
  const users = Array.from({ length: 1000 }, (_, i) => `cold.${i}`)
  const members = users.filter((_, i) => i % 3 === 0)
  await queryDatabase(app.config.DATABASE_URL, `INSERT INTO users (id, email, created_at, updated_at) SELECT u, u || '@example.test', now(), now() FROM unnest($1::text[]) u`, [users])
  await queryDatabase(
    app.config.DATABASE_URL,
    `INSERT INTO member_roles (org_id, user_id, role_id) SELECT $1::uuid, u, (SELECT id FROM roles WHERE org_id = $1::uuid AND name = 'viewer') FROM unnest($2::text[]) u`,
    [fixture.orgId, members],
  )

  const checks = users.map((user) => ({ org: fixture.slug, user, permission: 'deals.view' }))
  const res = await client.post('/v1/check/bulk', { checks })
  t.equal(res.status, 200, res.text.slice(0, 200))
  t.same(
    res.body.results.map((r: { allowed: boolean }) => r.allowed),
    users.map((_, i) => i % 3 === 0),
    'every third user (the members) is allowed, in request order',
  )
  const again = await client.post('/v1/check/bulk', { checks })
  t.same(again.body.results, res.body.results, 'the same answers from the now warm cache')
})
