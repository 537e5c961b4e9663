import type { Target } from '@latchkey/runtime'
import { TaskWorkerConfigSchema } from './config.ts'
import { taskWorkerService, type TaskWorkerServiceConfig } from './task-worker-service.ts'

/** How the program hosts the task worker (`TARGET=task-worker`). */
export const taskWorkerTarget: Target = {
  config: TaskWorkerConfigSchema,
  // Redis (no L1): the business processors invalidate the caches that show what they change, and
  // the cache consistency audit samples it.
  uses: { cache: true },
  register: async (app, config) => {
    await app.register(taskWorkerService, { config: config as TaskWorkerServiceConfig })
  },
}
