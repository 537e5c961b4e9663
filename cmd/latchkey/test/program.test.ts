import t from 'tap'
import pg from 'pg'
import { createTestDatabase, freePort, spawnProgram } from '@latchkey/testing'

// The program as operators meet it: started as a real process, with its exit codes and messages.

t.test('an unknown TARGET is refused with the list of valid ones, exit code 2', async (t) => {
  const program = await spawnProgram(t, { TARGET: 'permission,billing' }, { waitForStart: false })
  t.equal(await program.exited, 2)
  t.match(program.output.join('\n'), /Unknown TARGET "billing": choose "all" or a comma list of permission/)
})

t.test('a malformed variable is named with its value, exit code 2', async (t) => {
  const program = await spawnProgram(t, { PORT: 'eighty', CACHE_TTL_USER_PERMISSIONS: 'soon' }, { waitForStart: false })
  t.equal(await program.exited, 2)
  const output = program.output.join('\n')
  t.match(output, /PORT="eighty"/)
  t.match(output, /CACHE_TTL_USER_PERMISSIONS="soon"/)
})

t.test('with NATS unreachable the program says so in one line, with the URL and how to start it', async (t) => {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const port = await freePort()
  const program = await spawnProgram(t, { DATABASE_URL: database.url, NATS_URL: `nats://127.0.0.1:${port}` }, { waitForStart: false })
  t.equal(await program.exited, 1)
  const fatal = program.output.find((line) => line.includes('"level":"fatal"'))
  t.ok(fatal, 'a fatal line is logged')
  t.match(fatal, `NATS is unreachable at nats://127.0.0.1:${port}`)
  t.match(fatal, /nats-server -js/)
})

t.test('with PostgreSQL unreachable the program says so in one line, with the URL and how to start it', async (t) => {
  const port = await freePort()
  const program = await spawnProgram(t, { DATABASE_URL: `postgresql://postgres:secret@127.0.0.1:${port}/latchkey` }, { waitForStart: false })
  t.equal(await program.exited, 1)
  const fatal = program.output.find((line) => line.includes('"level":"fatal"'))
  t.match(fatal, `PostgreSQL is unreachable at postgresql://postgres:***@127.0.0.1:${port}/latchkey`)
  t.notMatch(fatal, /secret/, 'the password is not printed')
})

t.test('on a fresh server the program creates its database and applies the migrations', async (t) => {
  const name = `latchkey_fresh_${process.pid}_${Date.now()}`
  const admin = new pg.Client({ connectionString: 'postgresql://postgres@127.0.0.1:5432/postgres' })
  await admin.connect()
  t.teardown(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    await admin.end()
  })
  const program = await spawnProgram(t, { DATABASE_URL: `postgresql://postgres@127.0.0.1:5432/${name}` })
  const ready = await fetch(`${program.url}/readyz`)
  t.equal(ready.status, 200)
  t.ok(program.output.some((line) => line.includes('"created database"')))
  const created = await fetch(`${program.url}/v1/orgs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ slug: 'fresh-org', name: 'Fresh' }),
  })
  t.equal(created.status, 201)
})

t.test('without Redis the program starts with L2 off, says so, and answers correctly', async (t) => {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const port = await freePort()
  const program = await spawnProgram(t, { DATABASE_URL: database.url, REDIS_URL: `redis://127.0.0.1:${port}` })
  t.ok(program.output.some((line) => line.includes('"level":"warn"') && line.includes(`Redis unreachable at redis://127.0.0.1:${port}`)))
  const ready = await fetch(`${program.url}/readyz`)
  t.equal(ready.status, 200, 'Redis is not critical')
  const report = (await ready.json()) as { status: string; checks: Record<string, { state: string }> }
  t.equal(report.status, 'degraded')
  t.equal(report.checks.redis?.state, 'down')

  const post = (path: string, body: unknown, method = 'POST') =>
    fetch(`${program.url}${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  await post('/v1/permissions', { key: 'deals.view' })
  await post('/v1/orgs', { slug: 'no-redis', name: 'No Redis' })
  await post('/v1/orgs/no-redis/roles', { name: 'viewer', permissions: ['deals.view'] })
  await post('/v1/users/ann', { email: 'ann@example.com' }, 'PUT')
  await post('/v1/orgs/no-redis/members/ann', { roles: ['viewer'] }, 'PUT')
  const allowed = await (await post('/v1/check', { org: 'no-redis', user: 'ann', permission: 'deals.view' })).json()
  t.match(allowed, { allowed: true })
  await post('/v1/orgs/no-redis/members/ann', { roles: [] }, 'PUT')
  const denied = await (await post('/v1/check', { org: 'no-redis', user: 'ann', permission: 'deals.view' })).json()
  t.match(denied, { allowed: false })
})

t.test('SIGTERM: the program stops taking work, closes its connections and exits 0', async (t) => {
  const database = await createTestDatabase()
  t.teardown(database.drop)
  const program = await spawnProgram(t, { DATABASE_URL: database.url })
  t.equal((await fetch(`${program.url}/healthz`)).status, 200)
  program.child.kill('SIGTERM')
  t.equal(await program.exited, 0)
  t.ok(program.output.some((line) => line.includes('"stopped"')))
})
