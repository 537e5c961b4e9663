import fp from 'fastify-plugin'
import { RouteNotFoundError, toApiError } from '@latchkey/errors'

/**
 * Every error leaves in the contract's shape `{statusCode, code, error, message}`. Client errors
 * keep their message; server errors are logged in full and answered without internals.
 */
export const errorHandling = fp<{ bodyLimit: number }>(
  async (fastify, { bodyLimit }) => {
    fastify.setErrorHandler((err, request, reply) => {
      const { api, internal } = toApiError(err, { bodyLimit })
      if (internal) request.log.error({ err, reqId: request.id, method: request.method, url: request.url }, 'request failed')
      else if (api.statusCode >= 500) request.log.warn({ err: { message: (err as Error).message } }, api.message)
      return reply.code(api.statusCode).send(api)
    })
    fastify.setNotFoundHandler((request, reply) => {
      const { api } = toApiError(new RouteNotFoundError(request.method, request.url.split('?')[0] ?? ''))
      return reply.code(404).send(api)
    })
  },
  { name: 'error-handling' },
)
