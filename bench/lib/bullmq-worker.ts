// A BullMQ worker process for the task benchmark: a Worker on QUEUE with CONCURRENCY, running a
// no-op echo (what system.echo does), and a tiny HTTP server answering /healthz once it is ready.
//   QUEUE=... CONCURRENCY=64 REDIS_URL=redis://127.0.0.1:6379 PREFIX=... PORT=... node --import tsx bench/lib/bullmq-worker.ts
import { createServer } from 'node:http'
import { Worker } from 'bullmq'

const redisUrl = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const worker = new Worker(process.env.QUEUE ?? 'bench', async (job) => job.data, {
  connection: { host: redisUrl.hostname, port: Number(redisUrl.port || 6379), maxRetriesPerRequest: null },
  concurrency: Number(process.env.CONCURRENCY ?? 64),
  prefix: process.env.PREFIX ?? 'bull',
})
await worker.waitUntilReady()
const server = createServer((_request, response) => response.writeHead(200).end('ok'))
server.listen(Number(process.env.PORT), '127.0.0.1')
process.on('SIGTERM', () => {
  server.close()
  void worker.close().then(() => process.exit(0))
})
