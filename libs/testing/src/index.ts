export { createTestDatabase } from './test-database.ts'
export { startTestApp, uniquePrefix, type TestApp } from './test-app.ts'
export { startPrivateRedis, freePort, type PrivateRedis } from './private-redis.ts'
export { spawnProgram, type ProgramProcess } from './spawn-program.ts'
