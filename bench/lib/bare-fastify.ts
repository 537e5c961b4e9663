// Starts bare-fastify-server.ts (the baseline) as a child process.
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from './free-port.ts'
import { startNodeProcess, type NodeProcess } from './node-process.ts'

/** With `cpuProfileDir`, CPU profiles go to `<cpuProfileDir>/bare-fastify/` when it stops. */
export async function startBareFastify(options: { cpuProfileDir?: string } = {}): Promise<NodeProcess> {
  const port = await freePort()
  return startNodeProcess({
    name: 'bare-fastify',
    entry: fileURLToPath(new URL('./bare-fastify-server.ts', import.meta.url)),
    port,
    nodeArgs: options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', join(options.cpuProfileDir, 'bare-fastify')] : [],
    env: { PORT: String(port) },
  })
}
