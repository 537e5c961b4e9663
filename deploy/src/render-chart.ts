import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'
import { helmBinary } from './helm-binary.ts'

/** The repository's chart. */
export const chartDir = fileURLToPath(new URL('../../charts/latchkey', import.meta.url))

/** A rendered Kubernetes object (only the fields every object has are typed). */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> }
  [field: string]: unknown
}

export interface RenderOptions {
  release?: string
  chart?: string
  valuesFiles?: string[]
  /** `--set-string`: a value taken as a string whatever it looks like. */
  setString?: Record<string, string>
  /** `--set`: values parsed like helm does (numbers, booleans). */
  set?: Record<string, string>
}

const run = promisify(execFile)

/** Runs helm; rejects with its stderr when it fails. */
export async function helm(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(helmBinary(), args, { maxBuffer: 64 * 1024 * 1024 })
    return stdout
  } catch (err) {
    const { stderr, message } = err as { stderr?: string; message: string }
    throw new Error(stderr?.trim() || message)
  }
}

/** `helm template` of the chart, hooks and test hooks included, as objects. */
export async function renderChart(options: RenderOptions = {}): Promise<KubeObject[]> {
  const args = ['template', options.release ?? 'latchkey', options.chart ?? chartDir, '--namespace', 'latchkey']
  for (const file of options.valuesFiles ?? []) args.push('--values', file)
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${value}`)
  for (const [key, value] of Object.entries(options.setString ?? {})) args.push('--set-string', `${key}=${value}`)
  const manifest = await helm(args)
  return parseAllDocuments(manifest)
    .map((document) => document.toJS() as KubeObject | null)
    .filter((object): object is KubeObject => object !== null)
}

/** The one object of a kind and name; throws naming what is there when it is missing. */
export function findObject<T extends KubeObject = KubeObject>(objects: KubeObject[], kind: string, name: string): T {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name)
  if (!found) throw new Error(`no ${kind} ${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`)
  return found as T
}
