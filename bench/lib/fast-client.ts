// A minimal HTTP client over keep-alive sockets for tight request loops (polling a replica back to
// back, or a closed-loop load): bodies are sent as given and answers are returned as text, with no
// JSON work on the way (the caller parses what it needs).
import http from 'node:http'

export interface FastAnswer {
  status: number
  text: string
}

export interface FastClient {
  post(path: string, body: string | Buffer): Promise<FastAnswer>
  get(path: string): Promise<FastAnswer>
  close(): void
}

/** `connections` sockets at most (1: every request on the same connection, one after another). */
export function createFastClient(baseUrl: string, options: { connections?: number; timeoutMs?: number } = {}): FastClient {
  const url = new URL(baseUrl)
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections ?? 1, scheduling: 'lifo' })
  const timeoutMs = options.timeoutMs ?? 30_000
  const send = (method: string, path: string, body?: string | Buffer) =>
    new Promise<FastAnswer>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          agent,
          headers: body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (text += chunk))
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }))
          res.on('error', reject)
        },
      )
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
      req.on('error', reject)
      req.end(body)
    })
  return {
    post: (path, body) => send('POST', path, body),
    get: (path) => send('GET', path),
    close: () => agent.destroy(),
  }
}
