import type { HttpServer } from '@latchkey/http'
import { BulkEnqueueSchema, EnqueuedSchema, EnqueueTaskSchema, InvalidTaskError, TaskSchema } from '@latchkey/tasks-client'
import Type from 'typebox'
import { cancelTask, enqueue, getTask, listTasks } from '../commands/tasks.ts'
import type { TaskWorkerContext } from '../context.ts'
import { errorResponses, ListTasksQuery, TaskParams } from './schemas.ts'

export function taskRoutes(server: HttpServer, ctx: TaskWorkerContext): void {
  server.post(
    '/v1/tasks',
    { schema: { tags: ['tasks'], summary: 'Enqueues a task', body: EnqueueTaskSchema, response: { 202: EnqueuedSchema, ...errorResponses(413, 503) } } },
    async (request, reply) => reply.code(202).send((await enqueue(ctx, [request.body]))[0]!),
  )
  server.post(
    '/v1/tasks/bulk',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Enqueues up to 1,000 tasks (one bad task refuses them all)',
        body: BulkEnqueueSchema,
        response: { 202: Type.Object({ items: Type.Array(EnqueuedSchema) }), ...errorResponses(413, 503) },
      },
    },
    async (request, reply) => reply.code(202).send({ items: await enqueue(ctx, request.body.tasks) }),
  )
  server.get(
    '/v1/tasks/:id',
    { schema: { tags: ['tasks'], params: TaskParams, response: { 200: TaskSchema, ...errorResponses(404) } } },
    async (request) => getTask(ctx, request.params.id),
  )
  server.get(
    '/v1/tasks',
    { schema: { tags: ['tasks'], summary: 'Tasks, newest first', querystring: ListTasksQuery, response: { 200: Type.Object({ items: Type.Array(TaskSchema) }) } } },
    async (request) => {
      const limit = request.query.limit === undefined ? 50 : Number(request.query.limit)
      if (limit < 1 || limit > 1000) throw new InvalidTaskError(`limit must be from 1 to 1000, got ${request.query.limit}`)
      return { items: await listTasks(ctx, { queue: request.query.queue, status: request.query.status, limit }) }
    },
  )
  server.post(
    '/v1/tasks/:id/cancel',
    { schema: { tags: ['tasks'], summary: 'Cancels a queued, delayed or retry-waiting task', params: TaskParams, response: { 200: TaskSchema, ...errorResponses(404, 409) } } },
    async (request) => cancelTask(ctx, request.params.id),
  )
}
