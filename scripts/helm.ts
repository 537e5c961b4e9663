import { spawnSync } from 'node:child_process'
import { helmBinary } from '@latchkey/deploy'

// `npm run helm -- <args>`: helm from the PATH, or the one the npm package ships (no download).
const { status, signal } = spawnSync(helmBinary(), process.argv.slice(2), { stdio: 'inherit' })
process.exit(status ?? (signal ? 1 : 0))
