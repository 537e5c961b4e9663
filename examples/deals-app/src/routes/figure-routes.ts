import type { HttpServer } from '@latchkey/http'
import { orgDashboard, orgDealStats } from '../commands/figures.ts'
import type { DealsAppContext } from '../commands/context.ts'
import { ActingUserHeaders, Dashboard, DealStats, DealStatsQuery, errorResponses, Figures, OrgParams, RevisionQuery } from '../schemas.ts'

export function figureRoutes(server: HttpServer, ctx: DealsAppContext): void {
  server.get(
    '/orgs/:org/deal-stats',
    {
      config: { permission: 'deals.view' },
      schema: {
        tags: ['figures'],
        summary: 'Deal statistics of the organization or of one owner (cached 15 min, dropped by every deal change)',
        headers: ActingUserHeaders, params: OrgParams,
        querystring: DealStatsQuery,
        response: { 200: Figures(DealStats), ...errorResponses(409) },
      },
    },
    async (request) => {
      const stats = await orgDealStats(ctx, request.params.org, request.query)
      return { figures: stats.value, revision: String(stats.revision) }
    },
  )

  server.get(
    '/orgs/:org/dashboard',
    {
      config: { permission: 'dashboard.view' },
      schema: {
        tags: ['figures'],
        summary: 'The organization’s dashboard (cached 10 min, dropped by changes to deals, commissions and files)',
        headers: ActingUserHeaders, params: OrgParams,
        querystring: RevisionQuery,
        response: { 200: Figures(Dashboard), ...errorResponses(409) },
      },
    },
    async (request) => {
      const board = await orgDashboard(ctx, request.params.org, request.query)
      return { figures: board.value, revision: String(board.revision) }
    },
  )
}
