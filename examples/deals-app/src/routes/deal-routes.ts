import type { HttpServer } from '@latchkey/http'
import { changeDeal, listOrgDeals, openDeal, type DealWrite as DealWritten } from '../commands/deals.ts'
import type { DealsAppContext } from '../commands/context.ts'
import { actingUserId } from '../plugins/acting-user.ts'
import { ActingUserHeaders, CreateDealBody, DealList, DealParams, DealWrite, errorResponses, ListDealsQuery, OrgParams, UpdateDealBody } from '../schemas.ts'
import { requestTrace } from './request-trace.ts'

const answer = (written: DealWritten) => ({ deal: written.deal, revision: String(written.revision), tasks: written.tasks })

export function dealRoutes(server: HttpServer, ctx: DealsAppContext): void {
  server.get(
    '/orgs/:org/deals',
    {
      config: { permission: 'deals.view' },
      schema: { tags: ['deals'], summary: 'The organization’s deals, newest first', headers: ActingUserHeaders, params: OrgParams, querystring: ListDealsQuery, response: { 200: DealList, ...errorResponses() } },
    },
    async (request) => ({ items: await listOrgDeals(ctx, request.params.org, request.query) }),
  )

  server.post(
    '/orgs/:org/deals',
    {
      config: { permission: 'deals.edit' },
      schema: {
        tags: ['deals'],
        summary: 'Open a deal (stage lead); enqueues the deal workflow',
        headers: ActingUserHeaders, params: OrgParams,
        body: CreateDealBody,
        response: { 201: DealWrite, ...errorResponses() },
      },
    },
    async (request, reply) => {
      const written = await openDeal(ctx, request.params.org, actingUserId(request), request.body, requestTrace(request))
      return reply.code(201).send(answer(written))
    },
  )

  server.patch(
    '/orgs/:org/deals/:deal',
    {
      config: { permission: 'deals.edit' },
      schema: {
        tags: ['deals'],
        summary: 'Move a deal (stage, verification status); enqueues the workflow, and the commission calculation when won',
        headers: ActingUserHeaders, params: DealParams,
        body: UpdateDealBody,
        response: { 200: DealWrite, ...errorResponses(404) },
      },
    },
    async (request) => answer(await changeDeal(ctx, request.params.org, request.params.deal, actingUserId(request), request.body, requestTrace(request))),
  )
}
