// A child process for the baseline: Fastify with a single route answering a constant, nothing
// else (no schema, hooks, metrics or logger). `POST /v1/check` parses the JSON body like the real
// route does, so the two differ only by what Latchkey adds. PORT names the port.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.post('/v1/check', async () => ({ allowed: true, revision: '1' }))
app.get('/healthz', async () => ({ status: 'ok' }))
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 0) })
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
