// The chart's wiring boots: every container the chart renders (the migration Job, each
// Deployment, the `helm test` pod) runs here as a local process with exactly the command,
// arguments and environment its rendered object gives it (ConfigMap, Secret and per-service
// variables resolved as the kubelet would), against this machine's PostgreSQL, Redis and NATS.
// What differs from a cluster: the image's /app is this repository, Service names are loopback
// addresses, and each Deployment is rendered with HTTP and gRPC ports of its own (pods have a
// network each; here they share one).
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort } from '@latchkey/testing'
import t from 'tap'
import { parse } from 'yaml'
import { chartDir, findObject, podContainers, podSpec, scratchDirectory, startContainer, waitUntilReady, type KubeObject } from '../src/index.ts'
import { localInstallation } from './local-installation.ts'

// Every service but those ci/local-run-values.yaml disables (the ones not in the program yet).
const localRunValues = parse(readFileSync(join(chartDir, 'ci/local-run-values.yaml'), 'utf8')) as { targets?: Record<string, { enabled?: boolean }> }
const expectedTargets = ['cache-invalidator', 'monitor', 'permission', 'scheduler', 'task-worker'].filter((name) => localRunValues.targets?.[name]?.enabled !== false)

t.test('the migration Job, every Deployment and the helm test pod run with their rendered configuration', async (t) => {
  const render = localInstallation(t)
  const objects = await render()

  // The pre-install hook: migrations applied to an empty database.
  const job = findObject(objects, 'Job', 'latchkey-migrations')
  const migration = startContainer(t, podContainers(job)[0]!, objects, { pod: podSpec(job) })
  t.equal(await migration.exited, 0, 'the migration Job succeeds')
  t.match(migration.output.join('\n'), /applied \d{14}_/, 'and applied the migrations')

  // Every Deployment at once, each ready on the port its readiness probe names.
  const deployments = objects.filter((object) => object.kind === 'Deployment').map((d) => d.metadata.name)
  t.same(deployments.sort(), expectedTargets.map((name) => `latchkey-${name}`), `a Deployment for each of ${expectedTargets.join(', ')}`)
  const running = await Promise.all(
    deployments.map(async (name) => {
      const own = await render({ 'ports.http': String(await freePort()), 'ports.grpc': String(await freePort()) })
      const deployment = findObject(own, 'Deployment', name)
      const container = podContainers(deployment)[0]!
      const local = startContainer(t, container, own, { pod: podSpec(deployment) })
      const ready = await waitUntilReady(container, local, name)
      return { name, local, ready }
    }),
  )
  // Ready, not merely degraded: the Secret's URLs reached PostgreSQL, Redis and NATS.
  for (const { name, ready } of running) t.match(ready.body, { status: 'ready' }, `${name}: ${ready.url} answers 200, every dependency up`)

  // `helm test`: its script, from its ConfigMap, with the Services' names pointing at the processes.
  const testPod = findObject(objects, 'Pod', 'latchkey-smoke-test')
  const [testContainer] = podContainers(testPod)
  const scriptDir = scratchDirectory(t, 'smoke-test')
  const { data } = findObject(objects, 'ConfigMap', 'latchkey-smoke-test') as KubeObject & { data: Record<string, string> }
  for (const [file, content] of Object.entries(data)) writeFileSync(join(scriptDir, file), content)
  const services = JSON.parse(testContainer!.env!.find((v) => v.name === 'LATCHKEY_SERVICES')!.value!) as Record<string, string>
  t.same(Object.keys(services).sort(), expectedTargets, 'it checks every enabled service')
  const local = Object.fromEntries(running.map(({ name, ready }) => [name.replace(/^latchkey-/, ''), new URL(ready.url).origin]))
  const pointed = { ...testContainer!, env: [{ name: 'LATCHKEY_SERVICES', value: JSON.stringify(local) }] }
  const smoke = startContainer(t, pointed, objects, { mounts: { '/smoke-test': scriptDir }, pod: podSpec(testPod) })
  t.equal(await smoke.exited, 0, 'helm test passes', { output: smoke.output })
  t.match(smoke.output.join('\n'), /permission POST \/v1\/check: 200 \{"allowed":false/)

  // SIGTERM, as on a rollout: each stops within its grace period, exit code 0.
  for (const { name, local } of running) t.equal(await local.stop('SIGTERM'), 0, `${name} stops cleanly`, { output: local.output.slice(-4) })
})
