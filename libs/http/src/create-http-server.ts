import Fastify, { LogController, type FastifyInstance, type FastifyReply } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { toApiError } from '@latchkey/errors'
import type { Logger } from '@latchkey/logger'
import type { Metrics } from '@latchkey/telemetry'
import { authentication } from './authentication.ts'
import { errorHandling } from './error-handling.ts'
import { healthRoutes } from './health-routes.ts'
import { metricsRoutes } from './metrics-routes.ts'
import { openApi } from './openapi.ts'
import { readinessPlugin } from './readiness.ts'

export interface HttpServerOptions {
  logger: Logger
  metrics: Metrics
  title: string
  version: string
  /** Largest accepted request body in bytes (the contract's default is 1 MiB). */
  bodyLimit: number
  /** Log every request (off by default: two log lines per request cost more than a cached check). */
  logRequests?: boolean
  /** Requests taking at least this long count as slow (default 2 s, the replaced system's mark). */
  slowRequestMs?: number
}

export type HttpServer = FastifyInstance<any, any, any, Logger, TypeBoxTypeProvider>

/**
 * The HTTP base every service runs on: contract-shaped errors, health, readiness, metrics,
 * OpenAPI and the authentication seam. Services add their routes as plugins.
 */
export async function createHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const server = Fastify({
    loggerInstance: options.logger,
    logController: new LogController({ disableRequestLogging: !options.logRequests }),
    bodyLimit: options.bodyLimit,
    // Mistyped input is refused, never coerced: `{"permission": 5}` is a 400, not "5".
    ajv: { customOptions: { coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
    // No child logger per request (it costs more than a cached check); the error handler logs
    // the request id itself.
    childLoggerFactory: (logger) => logger,
    // Path parameters are validated by the route schemas (a user id may be 128 characters, more
    // once percent-encoded); the router's own limit (100 by default) only guards against abuse.
    routerOptions: { maxParamLength: 1024 },
    // Errors the router raises before any route runs (a bad percent-encoding, an over-long
    // parameter) leave in the contract's shape too, not Fastify's.
    frameworkErrors: (err, _request, reply) => {
      const { api } = toApiError(err, { bodyLimit: options.bodyLimit })
      void (reply as FastifyReply).code(api.statusCode).send(api)
    },
  }).withTypeProvider<TypeBoxTypeProvider>()

  await server.register(errorHandling, { bodyLimit: options.bodyLimit })
  await server.register(readinessPlugin)
  await server.register(authentication)
  await server.register(openApi, { title: options.title, version: options.version })
  await server.register(healthRoutes)
  await server.register(metricsRoutes, { metrics: options.metrics, slowRequestMs: options.slowRequestMs ?? 2_000 })
  return server as HttpServer
}
