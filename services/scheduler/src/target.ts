import type { Target } from '@latchkey/runtime'
import { SchedulerConfigSchema } from './config.ts'
import { schedulerService, type SchedulerServiceConfig } from './scheduler-service.ts'

/** How the program hosts the scheduler (`TARGET=scheduler`). */
export const schedulerTarget: Target = {
  config: SchedulerConfigSchema,
  uses: {},
  register: async (app, config) => {
    await app.register(schedulerService, { config: config as SchedulerServiceConfig })
  },
}
