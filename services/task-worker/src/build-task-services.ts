import { businessCacheTypes, createMailTransport } from '@latchkey/business'
import type {} from '@latchkey/cache'
import type {} from '@latchkey/db'
import type {} from '@latchkey/events'
import type {} from '@latchkey/nats'
import type { FastifyInstance } from 'fastify'
import type { TaskStore } from '@latchkey/tasks-client'
import { businessSettings } from './business-config.ts'
import type { TaskWorkerConfig } from './config.ts'
import type { TaskServices } from './task-services.ts'

/**
 * The handlers' services from the process's shared connections. The worker holds no L1 (it
 * serves no reads): its writes invalidate Redis at once and the change events do the rest.
 */
export function createTaskServices(fastify: FastifyInstance, config: TaskWorkerConfig, tasks: TaskStore, enqueue: TaskServices['enqueue']): TaskServices {
  const settings = businessSettings(config)
  const cache = fastify.cache
  return {
    db: fastify.db,
    tasks,
    cache,
    metrics: fastify.metrics,
    config,
    business: { db: fastify.db, cache, types: businessCacheTypes(settings.ttl) },
    settings,
    mail: createMailTransport({ smtpUrl: settings.smtpUrl, mailDir: settings.mailDir }),
    nats: fastify.nats,
    subjects: fastify.subjects,
    enqueue,
    probes: {
      postgresql: () => fastify.db.$queryRaw`SELECT 1`,
      redis: async () => {
        const tier = cache.sharedTier
        if (!tier) throw new Error('the L2 cache is off (CACHE_L2_ENABLED=false)')
        await tier.client.ping()
      },
      nats: () => fastify.nats.flush(),
    },
  }
}
