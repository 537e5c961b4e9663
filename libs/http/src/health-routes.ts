import fp from 'fastify-plugin'
import Type from 'typebox'
import type { FastifyInstance } from 'fastify'

const DependencySchema = Type.Object({
  state: Type.Union([Type.Literal('up'), Type.Literal('degraded'), Type.Literal('down')]),
  critical: Type.Boolean(),
  detail: Type.Optional(Type.String()),
})
const ReadinessSchema = Type.Object({
  status: Type.Union([Type.Literal('ready'), Type.Literal('degraded'), Type.Literal('unready')]),
  checks: Type.Record(Type.String(), DependencySchema),
})

/** `/healthz` (the process is alive) and `/readyz` (it can serve its API, naming what is not well). */
export const healthRoutes = fp(
  async (fastify: FastifyInstance) => {
    fastify.get(
      '/healthz',
      { schema: { hide: true, response: { 200: Type.Object({ status: Type.Literal('ok') }) } }, config: { public: true } },
      async () => ({ status: 'ok' as const }),
    )
    fastify.get(
      '/readyz',
      { schema: { hide: true, response: { 200: ReadinessSchema, 503: ReadinessSchema } }, config: { public: true } },
      async (_request, reply) => {
        const report = await fastify.readiness.report()
        return reply.code(report.status === 'unready' ? 503 : 200).send(report)
      },
    )
  },
  { name: 'health-routes', dependencies: ['readiness'] },
)
