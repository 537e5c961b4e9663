import type { Target } from '@latchkey/runtime'
import Type from 'typebox'
import { cacheInvalidatorService } from './cache-invalidator-service.ts'

/** How the program hosts the cache-invalidator (`TARGET=cache-invalidator`). */
export const cacheInvalidatorTarget: Target = {
  config: Type.Object({}),
  uses: { cache: true },
  register: async (app) => {
    await app.register(cacheInvalidatorService)
  },
}
