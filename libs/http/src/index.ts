export { createHttpServer, type HttpServer, type HttpServerOptions } from './create-http-server.ts'
export type { Readiness, ReadinessCheck, ReadinessReport, DependencyState } from './readiness.ts'
export type { Authenticator, Principal } from './authentication.ts'
