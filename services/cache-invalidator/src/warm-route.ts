import type { HttpServer } from '@latchkey/http'
import { parseDuration } from '@latchkey/config'
import { encodeJson, type Subjects, type WarmRequest } from '@latchkey/events'
import type { NatsConnection } from '@latchkey/nats'
import Type from 'typebox'

/**
 * `POST /v1/cache/warm`: a warming pass on every process holding an L1: entries in use that
 * would expire within `within` are computed again now. The scheduler calls it periodically.
 */
export function warmRoute(server: HttpServer, deps: { connection: NatsConnection; subjects: Subjects }): void {
  server.post(
    '/v1/cache/warm',
    {
      schema: {
        tags: ['cache'],
        summary: 'Run a warming pass on every replica',
        body: Type.Optional(Type.Object({ within: Type.Optional(Type.String({ pattern: '^[0-9]+(ms|s|m|h)$', description: 'Default 2m' })) })),
        response: { 202: Type.Object({ requested: Type.Boolean(), withinMs: Type.Integer() }) },
      },
    },
    async (request, reply) => {
      const withinMs = parseDuration(request.body?.within ?? '2m')
      const message: WarmRequest = { withinMs }
      deps.connection.publish(deps.subjects.warmRequests, encodeJson(message))
      return reply.code(202).send({ requested: true, withinMs })
    },
  )
}
