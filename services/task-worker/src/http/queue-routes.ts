import type { HttpServer } from '@latchkey/http'
import Type from 'typebox'
import { listQueues, redriveDead } from '../commands/queues.ts'
import type { TaskWorkerContext } from '../context.ts'
import { errorResponses, QueueParams } from './schemas.ts'

const Lanes = Type.Object({ high: Type.Integer(), medium: Type.Integer(), low: Type.Integer() })
const QueueSummary = Type.Object({ name: Type.String(), pending: Lanes, running: Type.Integer(), dead: Type.Integer() })

export function queueRoutes(server: HttpServer, ctx: TaskWorkerContext): void {
  server.get(
    '/v1/queues',
    { schema: { tags: ['queues'], summary: 'Every queue: pending per lane, running, dead', response: { 200: Type.Object({ items: Type.Array(QueueSummary) }) } } },
    async () => ({ items: await listQueues(ctx) }),
  )
  server.post(
    '/v1/queues/:queue/dead/redrive',
    { schema: { tags: ['queues'], summary: "Puts the queue's dead tasks back in line", params: QueueParams, response: { 200: Type.Object({ redriven: Type.Integer() }), ...errorResponses() } } },
    async (request) => ({ redriven: await redriveDead(ctx, request.params.queue) }),
  )
}
