import fp from 'fastify-plugin'
import { businessCacheTypes, registerBusinessWarmers, type BusinessDeps } from '@latchkey/business'
import type {} from '@latchkey/cache'
import type {} from '@latchkey/db'
import { createTasksClient, type TasksClient } from '@latchkey/tasks-client'
import type {} from '@latchkey/nats'
import type { Subjects } from '@latchkey/events'

declare module 'fastify' {
  interface FastifyInstance {
    business: BusinessDeps
    tasks: TasksClient
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
    fastify.decorate('business', deps)
    const tasks = createTasksClient({ connection: fastify.nats, databaseUrl: options.databaseUrl, subjects: options.subjects, log: fastify.log })
    fastify.decorate('tasks', tasks)
    fastify.addHook('onClose', async () => tasks.close())
  },
  { name: 'business', dependencies: ['database', 'cache', 'nats'] },
)
