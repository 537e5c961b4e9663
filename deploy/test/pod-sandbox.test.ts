// The local runs apply the chart's security context for real: this checks that a container
// started under it is the pod's user, cannot write the root filesystem, has no capabilities and
// writes its emptyDir (/tmp) only.
import t from 'tap'
import { findObject, podContainers, podSpec, renderChart, startContainer, type Container } from '../src/index.ts'

const probe = `
const fs = require('node:fs')
const tryWrite = (path) => { try { fs.writeFileSync(path, 'x'); fs.rmSync(path); return 'written' } catch (err) { return err.code } }
const status = fs.readFileSync('/proc/self/status', 'utf8')
console.log(JSON.stringify({
  uid: process.getuid(),
  gid: process.getgid(),
  capabilities: status.match(/^CapEff:\\s*(\\S+)/m)[1],
  noNewPrivileges: status.match(/^NoNewPrivs:\\s*(\\S+)/m)[1],
  root: tryWrite('/latchkey-sandbox-probe'),
  workdir: tryWrite('latchkey-sandbox-probe'),
  tmp: tryWrite('/tmp/latchkey-sandbox-probe'),
  env: Object.keys(process.env).sort(),
}))`

t.test('a container runs as the pod\'s user, with a read-only root, no capabilities and a writable /tmp', async (t) => {
  const objects = await renderChart()
  const deployment = findObject(objects, 'Deployment', 'latchkey-permission')
  const rendered = podContainers(deployment)[0]!
  const container: Container = { ...rendered, command: ['node'], args: ['-e', probe], env: [{ name: 'TARGET', value: 'permission' }], envFrom: [] }
  const local = startContainer(t, container, objects, { pod: podSpec(deployment) })
  t.equal(await local.exited, 0, 'the probe ran', { output: local.output })
  t.same(JSON.parse(local.output.at(-1)!), {
    uid: 10001,
    gid: 10001,
    capabilities: '0000000000000000',
    noNewPrivileges: '1',
    root: 'EROFS',
    workdir: 'EROFS',
    tmp: 'written',
    env: ['PATH', 'TARGET'],
  })
})
