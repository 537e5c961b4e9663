import { warmBusinessCaches } from '@latchkey/business'
import { parseDuration } from '@latchkey/config'
import { encodeJson, type WarmRequest } from '@latchkey/events'
import Type from 'typebox'
import { defineBusinessTask } from '../business-task.ts'

/**
 * Cache warming: asks every process holding an L1 for a warming pass (the same request as the
 * invalidator's `POST /v1/cache/warm`), and makes sure the business figures are in Redis.
 */
export default defineBusinessTask({
  type: 'system.cache_warm',
  description: 'Asks every L1 for a warming pass of entries expiring soon, and fills the deal statistics and dashboards of organizations into Redis',
  queues: ['system'],
  payload: Type.Object(
    {
      within: Type.Optional(Type.String({ pattern: '^[0-9]+(ms|s|m|h)$', description: 'L1 entries expiring within this are computed again (default 2m)' })),
      orgs: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 1_000, description: 'Organizations whose business figures to fill (default: those with deals)' })),
      limit: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000, description: 'At most this many organizations (default 1000)' })),
    },
    { additionalProperties: false },
  ),
  async run(payload, { services }) {
    const withinMs = parseDuration(payload.within ?? '2m')
    const request: WarmRequest = { withinMs }
    services.nats.publish(services.subjects.warmRequests, encodeJson(request))
    const business = await warmBusinessCaches(services.business, { orgIds: payload.orgs, limit: payload.limit ?? 1_000 })
    return { l1WarmRequested: true, withinMs, business }
  },
})
