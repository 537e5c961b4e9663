import { probeComponents, recordHealthCheck } from '@latchkey/business'
import Type from 'typebox'
import { defineBusinessTask } from '../business-task.ts'

/** System health check (the replaced system's 5-minute "system-health-check"). */
export default defineBusinessTask({
  type: 'system.health_check',
  description: 'Checks that PostgreSQL, Redis and NATS answer, and records the result (health_checks, and the task result)',
  queues: ['system'],
  payload: Type.Object({}, { additionalProperties: false }),
  maxAttempts: 3,
  async run(_payload, { id, services }) {
    const components = await probeComponents(services.probes, services.settings.healthCheckTimeoutMs)
    return recordHealthCheck(services.business.db, id, components)
  },
})
