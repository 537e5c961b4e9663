import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'

/** The OpenAPI document, built from the TypeBox route schemas and served at `/docs/json`. */
export const openApi = fp<{ title: string; version: string }>(
  async (fastify, { title, version }) => {
    await fastify.register(swagger, {
      openapi: {
        info: { title, version, description: 'Latchkey HTTP API. Errors: {statusCode, code, error, message} with LK_ codes.' },
      },
    })
    fastify.get('/docs/json', { schema: { hide: true }, config: { public: true } }, async () => fastify.swagger())
  },
  { name: 'openapi' },
)
