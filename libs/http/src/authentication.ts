import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'

/** Who made a request. Until an authenticator is installed every caller is anonymous. */
export type Principal = { kind: 'anonymous' } | { kind: 'service' | 'user'; id: string }

export type Authenticator = (request: FastifyRequest) => Promise<Principal>

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal
  }
  interface FastifyInstance {
    /** Enforces authentication on every route not marked `config: { public: true }`. */
    useAuthenticator(authenticator: Authenticator): void
  }
  interface FastifyContextConfig {
    public?: boolean
  }
}

const anonymous: Principal = { kind: 'anonymous' }

/**
 * The one place where authentication is enforced. Routes need do nothing: once a service calls
 * `useAuthenticator`, an `onRequest` hook runs it for every route that is not public (health,
 * metrics and docs are). No hook is installed until then, so anonymous mode costs nothing.
 */
export const authentication = fp(
  async (fastify) => {
    // Anonymous unless an authenticator set one (a shared default object may not be a decoration).
    const assigned = new WeakMap<FastifyRequest, Principal>()
    fastify.decorateRequest('principal', {
      getter(this: FastifyRequest) {
        return assigned.get(this) ?? anonymous
      },
      setter(this: FastifyRequest, principal: Principal) {
        assigned.set(this, principal)
      },
    })
    let installed = false
    fastify.decorate('useAuthenticator', (authenticator: Authenticator) => {
      if (installed) throw new Error('An authenticator is already installed')
      installed = true
      fastify.addHook('onRequest', async (request) => {
        if (request.routeOptions.config?.public) return
        request.principal = await authenticator(request)
      })
    })
  },
  { name: 'authentication' },
)
