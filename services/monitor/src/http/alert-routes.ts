import { ValidationError } from '@latchkey/errors'
import type { HttpServer } from '@latchkey/http'
import Type from 'typebox'
import { alertHistory, listAlerts } from '../commands/alerts.ts'
import { listAlertRules, updateAlertRule } from '../commands/alert-rules.ts'
import type { MonitorContext } from '../context.ts'
import { AlertNow, AlertRule, Episode, errorResponses, HistoryQuery, RuleChangeBody, RuleParams } from './schemas.ts'

export function alertRoutes(server: HttpServer, ctx: MonitorContext): void {
  server.get(
    '/v1/alerts',
    { schema: { tags: ['monitor'], summary: 'Alerts now: firing, pending (waiting for `for`), suppressed (cooldown or hourly limit)', response: { 200: Type.Object({ items: Type.Array(AlertNow) }) } } },
    async () => ({ items: listAlerts(ctx) }),
  )
  server.get(
    '/v1/alerts/history',
    {
      schema: {
        tags: ['monitor'],
        summary: 'Firing episodes (start, end, peak value), newest first',
        querystring: HistoryQuery,
        response: { 200: Type.Object({ items: Type.Array(Episode) }), ...errorResponses() },
      },
    },
    async (request) => {
      const limit = request.query.limit === undefined ? undefined : Number(request.query.limit)
      if (limit !== undefined && (limit < 1 || limit > 1000)) throw new ValidationError('querystring/limit must be from 1 to 1000')
      return { items: await alertHistory(ctx, { ...request.query, limit }) }
    },
  )
  server.get(
    '/v1/alert-rules',
    { schema: { tags: ['monitor'], summary: 'Every alert rule with its current settings', response: { 200: Type.Object({ items: Type.Array(AlertRule) }) } } },
    async () => ({ items: listAlertRules(ctx) }),
  )
  server.put(
    '/v1/alert-rules/:name',
    {
      schema: {
        tags: ['monitor'],
        summary: "Changes a rule's threshold, for, cooldown, maxPerHour or enabled at run time (stored; survives restarts)",
        params: RuleParams,
        body: RuleChangeBody,
        response: { 200: AlertRule, ...errorResponses(404) },
      },
    },
    async (request) => updateAlertRule(ctx, request.params.name, request.body),
  )
  server.get(
    '/v1/monitor/targets',
    {
      schema: {
        tags: ['monitor'],
        summary: 'The processes the monitor watches and whether each answered its last scrape',
        response: { 200: Type.Object({ items: Type.Array(Type.Object({ instance: Type.String(), up: Type.Boolean() })) }) },
      },
    },
    async () => ({ items: ctx.scraper.watched() }),
  )
}
