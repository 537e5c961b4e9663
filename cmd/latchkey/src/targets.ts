import { cacheInvalidatorTarget } from '@latchkey/cache-invalidator'
import { monitorTarget } from '@latchkey/monitor'
import { permissionTarget } from '@latchkey/permission'
import type { TargetRegistry } from '@latchkey/runtime'
import { schedulerTarget } from '@latchkey/scheduler'
import { taskWorkerTarget } from '@latchkey/task-worker'

/** Every service the program can run, in start-up order. Each service exports its own target. */
export const targets: TargetRegistry = {
  permission: permissionTarget,
  'cache-invalidator': cacheInvalidatorTarget,
  'task-worker': taskWorkerTarget,
  scheduler: schedulerTarget,
  monitor: monitorTarget,
}
