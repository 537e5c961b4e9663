import type { HttpServer } from '@latchkey/http'
import { addCommissionRate } from '../commands/commission-rates.ts'
import type { DealsAppContext } from '../commands/context.ts'
import { ActingUserHeaders, CommissionRate, CommissionRateBody, errorResponses, OrgParams } from '../schemas.ts'

export function commissionRateRoutes(server: HttpServer, ctx: DealsAppContext): void {
  server.post(
    '/orgs/:org/commission-rates',
    {
      config: { permission: 'commissions.manage' },
      schema: {
        tags: ['commissions'],
        summary: 'A commission rate from now on: the organization’s default, or one user’s',
        headers: ActingUserHeaders, params: OrgParams,
        body: CommissionRateBody,
        response: { 201: CommissionRate, ...errorResponses() },
      },
    },
    async (request, reply) => reply.code(201).send(await addCommissionRate(ctx, request.params.org, request.body)),
  )
}
