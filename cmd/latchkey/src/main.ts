import { readFileSync } from 'node:fs'
import { runProgram } from '@latchkey/runtime'
import { targets } from './targets.ts'

// The one program: `TARGET` picks which of the services below this process runs.
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
await runProgram(targets, version)
