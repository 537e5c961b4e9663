import type { Target } from '@latchkey/runtime'
import { PermissionConfigSchema, type PermissionConfig } from './config.ts'
import { permissionService } from './permission-service.ts'

/** How the program hosts the permission service (`TARGET=permission`). */
export const permissionTarget: Target = {
  config: PermissionConfigSchema,
  uses: { cache: true, localCache: true, natsOptional: true },
  register: async (app, config) => {
    await app.register(permissionService, { config: config as PermissionConfig & { HOST: string; DATABASE_URL: string } })
  },
}
