// The image without Docker (none runs here): deploy/Dockerfile's production-dependencies stage is
// replayed in a temporary directory (its build context filtered by .dockerignore, its own `RUN`
// command), the generate stage's output (the Prisma client) is added as its last stage does, and
// the chart's migration Job and permission Deployment run from that tree. Set
// LATCHKEY_IMAGE_NODE to a Node 24 binary to run them on the image's Node version.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import dockerignore from '@balena/dockerignore'
import { freePort } from '@latchkey/testing'
import t from 'tap'
import { findObject, podContainers, podSpec, scratchDirectory, startContainer, waitUntilReady } from '../src/index.ts'
import { localInstallation } from './local-installation.ts'

const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url))
const dockerfile = readFileSync(join(repositoryRoot, 'deploy/Dockerfile'), 'utf8')
const node = process.env.LATCHKEY_IMAGE_NODE ?? process.execPath

/** The `RUN` commands of one stage of the Dockerfile, without their `--mount` options (cache mounts). */
function runCommandsOf(stage: string): string[] {
  const stages = dockerfile.split(/^FROM /m)
  const body = stages.find((s) => new RegExp(`\\sAS ${stage}\\s`).test(s.split('\n')[0]! + '\n'))
  if (!body) throw new Error(`deploy/Dockerfile has no stage ${stage}`)
  return [...body.matchAll(/^RUN (?:--mount=\S+ )*(.+)$/gm)].map((match) => match[1]!)
}

t.test('the image holds the production dependencies only, and the chart\'s containers run from it', async (t) => {
  const imageRoot = scratchDirectory(t, 'image')
  // A CommonJS module: its default export is the whole module, whose `default` is the factory.
  const context = dockerignore.default().add(readFileSync(join(repositoryRoot, '.dockerignore'), 'utf8').split('\n'))
  // Entry by entry: the scratch directory lies inside the repository (in node_modules, ignored).
  const inContext = (path: string) => !context.ignores(relative(repositoryRoot, path))
  for (const entry of readdirSync(repositoryRoot)) {
    const source = join(repositoryRoot, entry)
    if (inContext(source)) cpSync(source, join(imageRoot, entry), { recursive: true, filter: inContext })
  }
  t.notOk(existsSync(join(imageRoot, 'node_modules')), 'the build context carries nothing installed')

  const commands = runCommandsOf('production-dependencies')
  const install = ['npm', 'ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund']
  t.same(commands, [install.join(' ')], 'one npm ci without the dev dependencies')
  execFileSync(install[0]!, [...install.slice(1), '--prefer-offline'], { cwd: imageRoot, stdio: 'pipe', timeout: 280_000 })
  for (const tool of ['tap', 'turbo', 'autocannon', '@aws-cdk/lambda-layer-kubectl-v32', 'kubernetes-models']) t.notOk(existsSync(join(imageRoot, 'node_modules', tool)), `no ${tool}`)
  t.ok(existsSync(join(imageRoot, 'node_modules/tsx')), 'tsx runs the program')
  t.match(dockerfile, /COPY --from=generate \/app\/libs\/db\/src\/generated \/app\/libs\/db\/src\/generated/)
  cpSync(join(repositoryRoot, 'libs/db/src/generated'), join(imageRoot, 'libs/db/src/generated'), { recursive: true })

  const render = localInstallation(t)
  const objects = await render({ 'ports.http': String(await freePort()), 'ports.grpc': String(await freePort()) })
  const job = findObject(objects, 'Job', 'latchkey-migrations')
  const migration = startContainer(t, podContainers(job)[0]!, objects, { imageRoot, node, pod: podSpec(job) })
  t.equal(await migration.exited, 0, `the migration Job succeeds on ${execFileSync(node, ['--version']).toString().trim()}`)
  const deployment = findObject(objects, 'Deployment', 'latchkey-permission')
  const container = podContainers(deployment)[0]!
  const permission = startContainer(t, container, objects, { imageRoot, node, pod: podSpec(deployment) })
  t.match((await waitUntilReady(container, permission, 'latchkey-permission')).body, { status: 'ready' }, 'the permission service is ready')
  t.equal(await permission.stop('SIGTERM'), 0, 'and stops cleanly')
})
