import t from 'tap'
import { freePort, startPrivateNats } from '@latchkey/testing'
import { connectNats, NatsUnreachableError } from '../src/index.ts'

const silent = { debug() {}, info() {}, warn() {}, error() {} }

t.test('an unreachable server is refused at once with the URL and how to start one', async (t) => {
  const url = `nats://127.0.0.1:${await freePort()}`
  const error = await connectNats({ url, name: 'test', logger: silent }).catch((err: unknown) => err)
  t.type(error, NatsUnreachableError)
  t.match((error as Error).message, `NATS is unreachable at ${url}`)
  t.match((error as Error).message, /nats-server -js/)
})

t.test('a connection survives a server restart and works again without help', async (t) => {
  const server = await startPrivateNats(t)
  const connection = await connectNats({ url: server.url, name: 'test', logger: silent })
  t.teardown(() => connection.close())
  t.equal((await connection.request('$JS.API.INFO', '', { timeout: 2_000 })).json<{ type: string }>().type, 'io.nats.jetstream.api.v1.account_info_response')

  await server.kill()
  await server.start()
  for (let waited = 0; waited < 10_000; waited += 100) {
    try {
      await connection.flush()
      break
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const answer = await connection.request('$JS.API.INFO', '', { timeout: 2_000 })
  t.equal(answer.json<{ type: string }>().type, 'io.nats.jetstream.api.v1.account_info_response', 'JetStream answers again after the restart')
})
