import { readFileSync } from 'node:fs'
import { prepareTracing } from '@latchkey/telemetry'

// The one program: `TARGET` picks which of the services below this process runs. Tracing (when
// the OTEL_* variables ask for it) must hook pg, ioredis and fastify before anything imports
// them, so the services are imported only once it is prepared.
const tracing = await prepareTracing()
const { runProgram } = await import('@latchkey/runtime')
const { targets } = await import('./targets.ts')
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
await runProgram(targets, version, tracing)
