// The Helm chart renders with the defaults and every ci/*-values.yaml, passes `helm lint --strict`,
// and every object it renders validates against the Kubernetes (and KEDA, Prometheus Operator)
// schemas. These tests read the rendered objects for what an SRE relies on.
import { cpSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { subjects } from '@latchkey/events'
import t from 'tap'
import { chartDir, findObject, helm, podContainers, renderChart, validateObjects, type KubeObject } from '../src/index.ts'

const ciValues = readdirSync(join(chartDir, 'ci')).filter((file) => file.endsWith('-values.yaml')).map((file) => join(chartDir, 'ci', file))
const targets = ['cache-invalidator', 'monitor', 'permission', 'scheduler', 'task-worker']

function ofKind(objects: KubeObject[], kind: string): KubeObject[] {
  return objects.filter((object) => object.kind === kind)
}

t.test('helm lint --strict passes with the defaults and with every ci values file', async (t) => {
  for (const values of [undefined, ...ciValues]) {
    const output = await helm(['lint', '--strict', chartDir, ...(values ? ['--values', values] : [])])
    t.match(output, /1 chart\(s\) linted, 0 chart\(s\) failed/, values ?? 'defaults')
  }
})

t.test('every rendered object validates against its kind\'s schema', async (t) => {
  t.ok(ciValues.length >= 3, 'the ci values files are found')
  for (const values of [undefined, ...ciValues]) {
    const objects = await renderChart({ valuesFiles: values ? [values] : [] })
    t.ok(objects.length > 10, `${values ?? 'defaults'}: ${objects.length} objects`)
    t.same(validateObjects(objects), [], values ?? 'defaults')
  }
})

t.test('schema validation catches a wrong object', async (t) => {
  const objects = await renderChart()
  const deployment = structuredClone(findObject(objects, 'Deployment', 'latchkey-permission')) as KubeObject & { spec: { replicas: unknown } }
  deployment.spec.replicas = 'two'
  t.match(validateObjects([deployment]), [/latchkey-permission: .*replicas must be integer/])
  t.match(validateObjects([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]), [/no schema for this kind/])
})

t.test('the defaults: a hardened Deployment, a Service and a PodDisruptionBudget per service', async (t) => {
  const objects = await renderChart({ release: 'prod' })
  t.same(ofKind(objects, 'Deployment').map((d) => d.metadata.name).sort(), targets.map((name) => `prod-${name}`))
  for (const name of targets) {
    const deployment = findObject(objects, 'Deployment', `prod-${name}`) as any
    const pod = deployment.spec.template.spec
    const [container] = podContainers(deployment)
    t.equal(deployment.spec.replicas, name === 'monitor' ? 1 : 2, `${name}: replicas from values`)
    t.same(container!.env!.find((v) => v.name === 'TARGET'), { name: 'TARGET', value: name }, `${name}: TARGET chosen by the Deployment`)
    t.match(pod.securityContext, { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } })
    t.match(pod.containers[0].securityContext, {
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    })
    t.match(pod.containers[0].readinessProbe, { httpGet: { path: '/readyz', port: 'http' } })
    t.match(pod.containers[0].livenessProbe, { httpGet: { path: '/healthz', port: 'http' } })
    t.same(pod.volumes.map((v: { name: string }) => v.name), ['tmp', 'data'], 'writable /tmp and data directory')
    // Topology spread selects the pods of this Deployment, over zones and nodes.
    for (const constraint of pod.topologySpreadConstraints) t.same(constraint.labelSelector.matchLabels, deployment.spec.selector.matchLabels)
    t.same(pod.topologySpreadConstraints.map((c: { topologyKey: string }) => c.topologyKey), ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'])
    const pdb = findObject(objects, 'PodDisruptionBudget', `prod-${name}`) as any
    t.same(pdb.spec.selector.matchLabels, deployment.spec.selector.matchLabels, `${name}: PodDisruptionBudget`)
    const service = findObject(objects, 'Service', `prod-${name}`) as any
    t.same(service.spec.selector, deployment.spec.selector.matchLabels, `${name}: Service selects its pods`)
    t.same(service.spec.ports.map((p: { name: string }) => p.name), name === 'permission' ? ['http', 'grpc'] : ['http'])
  }
  t.match(findObject(objects, 'Service', 'prod-permission-grpc'), { spec: { clusterIP: 'None', ports: [{ name: 'grpc', port: 50051 }] } })
  t.same(ofKind(objects, 'HorizontalPodAutoscaler'), [], 'autoscalers are off by default')
  t.same(ofKind(objects, 'ScaledObject'), [])
  t.same(ofKind(objects, 'ServiceMonitor'), [])
  t.same(ofKind(objects, 'NetworkPolicy'), [])
})

t.test('configuration: a ConfigMap for everyone, per-service overrides, secrets from a Secret', async (t) => {
  const objects = await renderChart({ release: 'prod', set: { 'config.CACHE_WARM_WINDOW': '30s', 'config.TASK_CONCURRENCY': '8', 'targets.task-worker.env.TASK_CONCURRENCY': '64' } })
  const config = findObject(objects, 'ConfigMap', 'prod-config') as any
  t.match(config.data, { CACHE_WARM_WINDOW: '30s', TASK_CONCURRENCY: '8', NATS_NAMESPACE: 'latchkey', MIGRATE_ON_START: 'false' }, 'any variable, as a string')
  const [worker] = podContainers(findObject(objects, 'Deployment', 'prod-task-worker'))
  t.same(worker!.env!.find((v) => v.name === 'TASK_CONCURRENCY'), { name: 'TASK_CONCURRENCY', value: '64' }, 'the task worker overrides it')
  t.same(worker!.envFrom, [{ configMapRef: { name: 'prod-config' } }, { secretRef: { name: 'prod-secrets' } }])
  t.same(worker!.env!.find((v) => v.name === 'NODE_OPTIONS'), { name: 'NODE_OPTIONS', value: '--max-semi-space-size=32' }, "the task worker's young generation is sized for its batches")
  const permission = podContainers(findObject(objects, 'Deployment', 'prod-permission'))[0]!
  t.notOk(permission.env!.some((v) => v.name === 'NODE_OPTIONS'), 'the other services keep V8’s defaults')
  t.same(Object.keys((findObject(objects, 'Secret', 'prod-secrets') as any).stringData).sort(), ['DATABASE_URL', 'NATS_URL', 'REDIS_URL'])

  const external = await renderChart({ release: 'prod', set: { 'secret.existingSecret': 'managed-elsewhere' } })
  t.same(ofKind(external, 'Secret'), [], 'with an existing Secret the chart makes none')
  t.same(podContainers(findObject(external, 'Deployment', 'prod-permission'))[0]!.envFrom![1], { secretRef: { name: 'managed-elsewhere' } })
  t.match(podContainers(findObject(external, 'Job', 'prod-migrations'))[0]!.env, [{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'managed-elsewhere', key: 'DATABASE_URL' } } }])
})

t.test('migrations run in a pre-install/pre-upgrade Job with a Secret of its own made before it', async (t) => {
  const objects = await renderChart({ release: 'prod' })
  const job = findObject(objects, 'Job', 'prod-migrations')
  const secret = findObject(objects, 'Secret', 'prod-migrations')
  t.match(job.metadata.annotations, { 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '0' })
  t.match(secret.metadata.annotations, { 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-weight': '-10' })
  t.same(podContainers(job)[0]!.args, ['scripts/migrate.ts'])
  const minimal = await renderChart({ valuesFiles: [join(chartDir, 'ci/minimal-values.yaml')] })
  t.same(ofKind(minimal, 'Job'), [], 'without the Job')
  t.equal((findObject(minimal, 'ConfigMap', 'latchkey-config') as any).data.MIGRATE_ON_START, undefined, 'the services migrate at start')
})

t.test('kubectl scale: the task worker is <release>-task-worker, and an autoscaler takes replicas over', async (t) => {
  const objects = await renderChart({ release: 'acme', set: { 'targets.task-worker.replicas': '3' } })
  t.equal((findObject(objects, 'Deployment', 'acme-task-worker') as any).spec.replicas, 3)
  const scaled = await renderChart({ release: 'acme', valuesFiles: [join(chartDir, 'ci/all-features-values.yaml')] })
  for (const name of ['lk-task-worker', 'lk-permission']) t.notOk('replicas' in (findObject(scaled, 'Deployment', name) as any).spec, `${name}: replicas left to the autoscaler`)
  t.match(findObject(scaled, 'HorizontalPodAutoscaler', 'lk-permission'), { spec: { minReplicas: 3, maxReplicas: 12, scaleTargetRef: { name: 'lk-permission' } } })
})

t.test('KEDA scales the task worker on the lag of the consumers the worker really uses', async (t) => {
  const objects = await renderChart({ valuesFiles: [join(chartDir, 'ci/all-features-values.yaml')] })
  const scaledObject = findObject(objects, 'ScaledObject', 'lk-task-worker') as any
  const names = subjects('prod_eu')
  const queues = ['workflow', 'auth', 'file_processing', 'business_processes', 'system']
  const expected = queues.flatMap((queue) => ['high', 'medium', 'low'].map((priority) => ({ stream: names.taskStream, consumer: names.taskConsumer(queue, priority) })))
  t.equal(scaledObject.spec.scaleTargetRef.name, 'lk-task-worker')
  t.same(scaledObject.spec.triggers.map((trigger: any) => ({ stream: trigger.metadata.stream, consumer: trigger.metadata.consumer })), expected)
  t.ok(scaledObject.spec.triggers.every((trigger: any) => trigger.type === 'nats-jetstream' && trigger.metadata.natsServerMonitoringEndpoint === 'nats.nats.svc.cluster.local:8222'))
  await t.rejects(renderChart({ set: { 'targets.task-worker.keda.enabled': 'true' } }), /natsMonitoringEndpoint is required/)
})

t.test('values.schema.json rejects wrong types and unknown keys before anything renders', async (t) => {
  const wrong: Record<string, string>[] = [
    { 'targets.task-worker.replicas': 'three' },
    { 'ports.http': 'eighty' },
    { 'targets.permission.enabled': 'yes' },
    { 'defaults.replicas': '-1' },
    { 'config.log-level': 'debug' },
    { replica: '3' },
    { 'targets.task-worker.replica': '3' },
    { 'defaults.replica': '3' },
    { 'targets.frontend.enabled': 'true' },
    { 'image.pullPolicy': 'Sometimes' },
  ]
  for (const set of wrong) await t.rejects(renderChart({ set }), /values don't meet the specifications of the schema/, JSON.stringify(set))
  await t.rejects(helm(['template', 'x', chartDir, '--set-json', 'config.LOG_LEVEL={"level":"debug"}']), /config.LOG_LEVEL: Invalid type/)
  t.ok(await renderChart({ set: { 'config.NEW_SERVICE_SETTING': '42', 'targets.task-worker.replicas': '0' } }), 'right types render')
})

t.test('the monitor finds the services through the release\'s EndpointSlices, and only its pods may call the API', async (t) => {
  const objects = await renderChart({ release: 'prod' })
  const role = findObject(objects, 'Role', 'prod-monitor') as any
  t.same(role.rules, [{ apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['get', 'list', 'watch'] }], 'a Role that reads EndpointSlices, nothing else')
  t.match(findObject(objects, 'RoleBinding', 'prod-monitor'), { roleRef: { name: 'prod-monitor' }, subjects: [{ kind: 'ServiceAccount' }] })
  for (const name of targets) {
    const deployment = findObject(objects, 'Deployment', `prod-${name}`) as any
    t.equal(deployment.spec.template.spec.automountServiceAccountToken, name === 'monitor', `${name}: service-account token ${name === 'monitor' ? 'mounted' : 'not mounted'}`)
  }
  const env = podContainers(findObject(objects, 'Deployment', 'prod-monitor'))[0]!.env!
  t.match(env.find((v) => v.name === 'MONITOR_DISCOVERY'), { value: 'kubernetes' }, 'discovery through Kubernetes')
  t.match(
    env.find((v) => v.name === 'MONITOR_K8S_LABEL_SELECTOR'),
    { value: 'app.kubernetes.io/name=latchkey,app.kubernetes.io/instance=prod' },
    'of this release only',
  )

  const listed = await renderChart({ release: 'prod', set: { 'targets.monitor.kubernetesDiscovery': 'false' } })
  t.notOk(listed.some((object) => object.kind === 'Role'), 'with discovery off: no Role')
  t.notOk(podContainers(findObject(listed, 'Deployment', 'prod-monitor'))[0]!.env!.some((v) => v.name === 'MONITOR_DISCOVERY'), 'and the static list of env.MONITOR_TARGETS')
})

t.test('PrometheusRule: rendered from the monitor\'s rules file when there is one, nothing otherwise', async (t) => {
  const rulesFile = 'files/prometheus-rules.yaml'
  const copy = mkdtempSync(join(tmpdir(), 'latchkey-chart-'))
  t.teardown(() => rmSync(copy, { recursive: true, force: true }))
  cpSync(chartDir, copy, { recursive: true })
  rmSync(join(copy, rulesFile), { force: true })
  const without = await renderChart({ chart: copy, set: { 'prometheusRule.enabled': 'true' } })
  t.same(ofKind(without, 'PrometheusRule'), [], 'no rules file: no PrometheusRule')

  writeFileSync(
    join(copy, rulesFile),
    ['groups:', '  - name: latchkey', '    rules:', '      - alert: LatchkeyHighApiErrorRate', '        expr: vector(1) > 0', '        for: 5m', '        labels:', '          severity: critical', ''].join('\n'),
  )
  const withRules = await renderChart({ chart: copy, set: { 'prometheusRule.enabled': 'true' } })
  const rule = findObject(withRules, 'PrometheusRule', 'latchkey') as any
  t.match(rule.spec.groups, [{ name: 'latchkey', rules: [{ alert: 'LatchkeyHighApiErrorRate', for: '5m' }] }])
  t.same(validateObjects([rule]), [])
  t.same(ofKind(await renderChart({ chart: copy }), 'PrometheusRule'), [], 'off unless enabled')
})

t.test('ServiceMonitor scrapes /metrics on the http port of every Service but the headless gRPC one', async (t) => {
  const objects = await renderChart({ set: { 'serviceMonitor.enabled': 'true' } })
  const monitor = findObject(objects, 'ServiceMonitor', 'latchkey') as any
  t.match(monitor.spec.endpoints, [{ port: 'http', path: '/metrics' }])
  const selected = ofKind(objects, 'Service').filter((service) => {
    const labels = service.metadata.labels ?? {}
    return Object.entries(monitor.spec.selector.matchLabels).every(([k, v]) => labels[k] === v) && !('latchkey.dev/headless' in labels)
  })
  t.same(selected.map((s) => s.metadata.name).sort(), targets.map((name) => `latchkey-${name}`))
})

t.test('NetworkPolicy: it covers every pod of the release, and the helm test pod can reach the services', async (t) => {
  const objects = await renderChart({ valuesFiles: [join(chartDir, 'ci/all-features-values.yaml')] })
  const policy = findObject(objects, 'NetworkPolicy', 'lk') as any
  const matches = (labels: Record<string, string>, selector?: Record<string, string>) => selector !== undefined && Object.entries(selector).every(([k, v]) => labels[k] === v)
  const podLabels = objects
    .filter((object) => ['Deployment', 'Job', 'Pod'].includes(object.kind))
    .map((object) => ({ name: `${object.kind}/${object.metadata.name}`, labels: ((object.spec as any).template?.metadata ?? object.metadata).labels as Record<string, string> }))
  t.equal(podLabels.length, 7, 'five Deployments, the migration Job and the test pod')
  for (const { name, labels } of podLabels) t.ok(matches(labels, policy.spec.podSelector.matchLabels), `${name} is covered`)
  const testPod = findObject(objects, 'Pod', 'lk-smoke-test').metadata.labels!
  t.ok(policy.spec.egress.some((rule: any) => rule.to?.some((peer: any) => matches(testPod, peer.podSelector?.matchLabels))), 'the test pod may call out to the services')
  t.ok(policy.spec.ingress.some((rule: any) => rule.from?.some((peer: any) => matches(testPod, peer.podSelector?.matchLabels))), 'and the services accept it')
  t.ok(policy.spec.ingress.some((rule: any) => rule.from?.some((peer: any) => peer.namespaceSelector?.matchLabels?.['latchkey.dev/client'] === 'true')), 'clients from ingressFrom')
})
