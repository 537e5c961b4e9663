import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { RouteNotFoundError, ValidationError } from '@latchkey/errors'
import type { HttpServer } from '@latchkey/http'
import Type from 'typebox'
import { alertHistory, listAlerts } from '../commands/alerts.ts'
import type { MonitorContext } from '../context.ts'
import { dashboardSeries } from '../dashboard/dashboard-series.ts'
import { AlertNow, Episode, errorResponses } from './schemas.ts'

const require = createRequire(import.meta.url)
const page = (file: string) => new URL(`../dashboard/page/${file}`, import.meta.url)

/** Everything the page loads, served by the monitor itself (no CDN): its own files and uPlot's. */
const assets: Record<string, { path: string | URL; type: string }> = {
  'dashboard.js': { path: page('dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: page('dashboard.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
}

const Values = Type.Array(Type.Object({ labels: Type.Record(Type.String(), Type.String()), value: Type.Number() }))

export async function dashboardRoutes(server: HttpServer, ctx: MonitorContext): Promise<void> {
  const html = await readFile(page('index.html'), 'utf8')
  const files = Object.fromEntries(await Promise.all(Object.entries(assets).map(async ([name, asset]) => [name, { body: await readFile(asset.path), type: asset.type }] as const)))

  server.get('/dashboard', { schema: { hide: true }, config: { public: true } }, async (_request, reply) => reply.type('text/html; charset=utf-8').send(html))
  server.get<{ Params: { file: string } }>(
    '/dashboard/assets/:file',
    { schema: { hide: true, params: Type.Object({ file: Type.String({ pattern: '^[a-z.]+$' }) }) }, config: { public: true } },
    async (request, reply) => {
      const file = files[request.params.file]
      if (!file) throw new RouteNotFoundError('GET', request.url)
      return reply.type(file.type).header('cache-control', 'public, max-age=300').send(file.body)
    },
  )
  server.get(
    '/v1/dashboard',
    {
      schema: {
        tags: ['monitor'],
        summary: "The dashboard's figures: the series it draws (live, in memory), alerts now, recent episodes, watched processes",
        response: {
          200: Type.Object({
            series: Type.Array(Type.Object({ id: Type.String(), title: Type.String(), unit: Type.String() })),
            live: Type.Array(Type.Object({ at: Type.Integer(), values: Type.Record(Type.String(), Values) })),
            alerts: Type.Array(AlertNow),
            history: Type.Array(Episode),
            targets: Type.Array(Type.Object({ instance: Type.String(), up: Type.Boolean() })),
          }),
        },
      },
    },
    async () => ({
      series: dashboardSeries.map(({ id, title, unit }) => ({ id, title, unit })),
      live: ctx.engine.livePoints(),
      alerts: listAlerts(ctx),
      history: await alertHistory(ctx, { limit: 20 }).catch(() => []),
      targets: ctx.scraper.watched(),
    }),
  )
  server.get(
    '/v1/dashboard/trends',
    {
      schema: {
        tags: ['monitor'],
        summary: 'Hourly roll-ups of the dashboard figures (written by the system.alert_rollup task)',
        querystring: Type.Object({ hours: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '1 to 2160 (90 days), default 168' })) }),
        response: {
          200: Type.Object({ items: Type.Array(Type.Object({ series: Type.String(), metric: Type.String(), labels: Type.Record(Type.String(), Type.String()), at: Type.String(), value: Type.Number() })) }),
          ...errorResponses(),
        },
      },
    },
    async (request) => {
      const hours = Number(request.query.hours ?? 168)
      if (hours < 1 || hours > 2160) throw new ValidationError('querystring/hours must be from 1 to 2160')
      const since = new Date(Date.now() - hours * 3_600_000)
      return { items: await ctx.store.trends([...dashboardSeries.map((s) => s.id), 'alerts_started'], since) }
    },
  )
}
