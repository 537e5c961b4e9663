import fp from 'fastify-plugin'
import { businessCacheTypes, registerBusinessWarmers, type BusinessDeps } from '@latchkey/business'
import type {} from '@latchkey/cache'
import type {} from '@latchkey/db'
import { createTasksClient } from '@latchkey/tasks-client'
import type {} from '@latchkey/nats'
import type { Subjects } from '@latchkey/events'
import type { DealsAppContext } from '../commands/context.ts'

declare module 'fastify' {
  interface FastifyInstance {
    /** What the example's commands use (named apart from the platform's own decorations). */
    dealsApp: DealsAppContext
  }
}

/**
 * What the routes' commands use: the platform's business functions over the shared database and
 * this process's cache (`deal_stats` and `dashboard`, L1 + Redis, computed again in the
 * background after an invalidation drops them while in use), and the platform's task client.
 */
export const businessPlugin = fp<{ databaseUrl: string; subjects: Subjects }>(
  async (fastify, options) => {
    const deps: BusinessDeps = { db: fastify.db, cache: fastify.cache, types: businessCacheTypes() }
    registerBusinessWarmers(deps)
    const tasks = createTasksClient({ connection: fastify.nats, databaseUrl: options.databaseUrl, subjects: options.subjects, log: fastify.log })
    fastify.decorate('dealsApp', { business: deps, tasks, log: fastify.log })
    fastify.addHook('onClose', async () => tasks.close())
  },
  { name: 'business', dependencies: ['database', 'cache', 'nats'] },
)
