import type { Target } from '@latchkey/runtime'
import { TaskWorkerConfigSchema } from './config.ts'
import { taskWorkerService, type TaskWorkerServiceConfig } from './task-worker-service.ts'

/** How the program hosts the task worker (`TARGET=task-worker`). */
export const taskWorkerTarget: Target = {
  config: TaskWorkerConfigSchema,
  // The cache: Redis (L2), which the cache consistency audit samples; optional, like everywhere.
  uses: { cache: true },
  register: async (app, config) => {
    await app.register(taskWorkerService, { config: config as TaskWorkerServiceConfig })
  },
}
