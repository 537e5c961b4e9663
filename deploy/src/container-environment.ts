import type { SecuritySettings } from './pod-sandbox.ts'
import { findObject, type KubeObject } from './render-chart.ts'

interface KeyRef {
  name: string
  key: string
  optional?: boolean
}

interface EnvVar {
  name: string
  value?: string
  valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef }
}

interface EnvFromSource {
  prefix?: string
  configMapRef?: { name: string; optional?: boolean }
  secretRef?: { name: string; optional?: boolean }
}

export interface Container {
  name: string
  image: string
  command?: string[]
  args?: string[]
  workingDir?: string
  env?: EnvVar[]
  envFrom?: EnvFromSource[]
  ports?: { name?: string; containerPort: number }[]
  readinessProbe?: { httpGet?: { path: string; port: number | string } }
  startupProbe?: { periodSeconds?: number; failureThreshold?: number }
  securityContext?: SecuritySettings
  volumeMounts?: { name: string; mountPath: string }[]
}

export interface PodSpec {
  containers: Container[]
  securityContext?: SecuritySettings
  volumes?: { name: string; emptyDir?: object }[]
}

/** The pod spec of a Deployment's or Job's pod template, or of a Pod. */
export function podSpec(object: KubeObject): PodSpec {
  const spec = object.spec as { template?: { spec: PodSpec } } & Partial<PodSpec>
  return spec.template?.spec ?? (spec as PodSpec)
}

/** The containers of a Deployment's or Job's pod template, or of a Pod. */
export function podContainers(object: KubeObject): Container[] {
  return podSpec(object).containers
}

/** A ConfigMap's or Secret's entries as the kubelet hands them to a container (Secret data decoded). */
function entriesOf(objects: KubeObject[], kind: 'ConfigMap' | 'Secret', name: string, optional: boolean | undefined): Record<string, string> | undefined {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name)
  if (!object) {
    if (optional) return undefined
    // Without it the kubelet refuses to start the container (CreateContainerConfigError).
    findObject(objects, kind, name)
  }
  const { data, stringData } = object as { data?: Record<string, string>; stringData?: Record<string, string> }
  const decoded = kind === 'Secret' ? Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()])) : (data ?? {})
  return { ...decoded, ...stringData }
}

function valueOfRef(objects: KubeObject[], kind: 'ConfigMap' | 'Secret', ref: KeyRef, variable: string): string | undefined {
  const entries = entriesOf(objects, kind, ref.name, ref.optional)
  const value = entries?.[ref.key]
  if (value === undefined && !ref.optional) throw new Error(`${variable}: ${kind} ${ref.name} has no key ${ref.key}`)
  return value
}

/**
 * The environment the kubelet would give a container, resolved from the rendered objects:
 * `envFrom` sources in order (a later one wins), then `env` (which wins over `envFrom`), with
 * `configMapKeyRef` and `secretKeyRef` looked up. A reference to a missing object or key that is
 * not optional throws, as the kubelet would refuse to start the container.
 */
export function containerEnvironment(container: Container, objects: KubeObject[]): Record<string, string> {
  const environment: Record<string, string> = {}
  for (const source of container.envFrom ?? []) {
    const entries = source.configMapRef
      ? entriesOf(objects, 'ConfigMap', source.configMapRef.name, source.configMapRef.optional)
      : entriesOf(objects, 'Secret', source.secretRef!.name, source.secretRef!.optional)
    for (const [key, value] of Object.entries(entries ?? {})) environment[`${source.prefix ?? ''}${key}`] = value
  }
  for (const variable of container.env ?? []) {
    const { configMapKeyRef, secretKeyRef } = variable.valueFrom ?? {}
    const value = configMapKeyRef
      ? valueOfRef(objects, 'ConfigMap', configMapKeyRef, variable.name)
      : secretKeyRef
        ? valueOfRef(objects, 'Secret', secretKeyRef, variable.name)
        : (variable.value ?? '')
    if (value !== undefined) environment[variable.name] = value
  }
  return environment
}

/** The container port a probe or Service names (a port name or a number). */
export function containerPort(container: Container, port: number | string): number {
  if (typeof port === 'number') return port
  const named = container.ports?.find((p) => p.name === port)
  if (!named) throw new Error(`container ${container.name} has no port named ${port}`)
  return named.containerPort
}
