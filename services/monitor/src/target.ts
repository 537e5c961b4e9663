import type { Target } from '@latchkey/runtime'
import { MonitorConfigSchema, type MonitorConfig } from './config.ts'
import { monitorService } from './monitor-service.ts'

/** How the program hosts the monitor (`TARGET=monitor`). */
export const monitorTarget: Target = {
  config: MonitorConfigSchema,
  // The monitor serves its API and dashboard without NATS (it reads metrics over HTTP).
  uses: { natsOptional: true },
  register: async (app, config) => {
    await app.register(monitorService, { config: config as MonitorConfig })
  },
}
