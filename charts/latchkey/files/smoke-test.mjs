// `helm test`: every service of the release answers /readyz with 200, and the permission service
// answers a permission check. It reads and writes nothing else, so it is safe on a live installation.
// LATCHKEY_SERVICES: {"<target>": "http://<service>:<port>", ...}
const services = JSON.parse(process.env.LATCHKEY_SERVICES ?? '{}')
let failures = 0

async function call(label, url, init) {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5000) })
    const body = await response.text()
    console.log(`${label}: ${response.status} ${body}`)
    return { status: response.status, body }
  } catch (err) {
    console.log(`${label}: ${err.message}`)
    return { status: 0, body: '' }
  }
}

for (const [target, baseUrl] of Object.entries(services)) {
  const { status } = await call(`${target} /readyz`, `${baseUrl}/readyz`)
  if (status !== 200) failures++
}

if (services.permission) {
  // An organization that does not exist: the answer is a well-formed "not allowed", not an error.
  const { status, body } = await call('permission POST /v1/check', `${services.permission}/v1/check`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ org: 'helm-test-probe', user: 'helm-test', permission: 'helm.test' }),
  })
  const answer = status === 200 ? JSON.parse(body) : undefined
  if (answer?.allowed !== false || typeof answer.revision !== 'string') failures++
}

console.log(failures === 0 ? 'every check passed' : `${failures} check(s) failed`)
process.exit(failures === 0 ? 0 : 1)
