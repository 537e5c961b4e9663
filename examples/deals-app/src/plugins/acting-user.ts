import fp from 'fastify-plugin'
import type { FastifyRequest } from 'fastify'
import type {} from '@latchkey/http'
import { NoActingUserError } from '../errors.ts'

const userIdPattern = /^[A-Za-z0-9_.@:-]{1,128}$/

/**
 * Who acts: this example authenticates nobody yet and takes the user's id from the `x-user-id`
 * header, through the platform's authentication seam, so that a real authenticator (a session, a
 * token) replaces this one plugin and nothing else. Health, metrics and docs stay public.
 */
export const actingUser = fp(
  async (fastify) => {
    fastify.useAuthenticator(async (request) => {
      const id = request.headers['x-user-id']
      if (typeof id !== 'string' || !userIdPattern.test(id)) throw new NoActingUserError()
      return { kind: 'user', id }
    })
  },
  { name: 'acting-user', dependencies: ['authentication'] },
)

/** The acting user's id (routes behind `actingUser` always have one). */
export function actingUserId(request: FastifyRequest): string {
  const principal = request.principal
  if (principal.kind === 'anonymous') throw new NoActingUserError()
  return principal.id
}
