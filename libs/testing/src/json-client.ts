import { readJsonResponse, type JsonResponse } from './read-json-response.ts'

export interface JsonRequestOptions {
  /** Headers of this request, on top of the client's. */
  headers?: Record<string, string>
  /** Sent as it is instead of `body` as JSON (its content-type, if any, goes in `headers`). */
  raw?: string | Uint8Array
}

/** A JSON client of one HTTP API: every answer is read whatever its status, for the test to judge. */
export interface JsonClient {
  url: string
  request<T = any>(method: string, path: string, body?: unknown, options?: JsonRequestOptions): Promise<JsonResponse<T>>
  get<T = any>(path: string, options?: JsonRequestOptions): Promise<JsonResponse<T>>
  post<T = any>(path: string, body?: unknown, options?: JsonRequestOptions): Promise<JsonResponse<T>>
  put<T = any>(path: string, body?: unknown, options?: JsonRequestOptions): Promise<JsonResponse<T>>
  patch<T = any>(path: string, body?: unknown, options?: JsonRequestOptions): Promise<JsonResponse<T>>
  delete<T = any>(path: string, options?: JsonRequestOptions): Promise<JsonResponse<T>>
}

/**
 * A small JSON client of the HTTP API at `url` (fetch, built in): a body given is sent as JSON.
 * `headers` go with every request (a caller's `x-user-id`, say); with `timeoutMs`, a request that
 * takes longer fails instead of waiting for the test's own timeout.
 */
export function jsonClient(url: string, defaults: { headers?: Record<string, string>; timeoutMs?: number } = {}): JsonClient {
  const request = async <T>(method: string, path: string, body?: unknown, options: JsonRequestOptions = {}): Promise<JsonResponse<T>> => {
    const headers: Record<string, string> = { ...defaults.headers, ...options.headers }
    let payload: string | Uint8Array | undefined
    if (options.raw !== undefined) payload = options.raw
    else if (body !== undefined) {
      payload = JSON.stringify(body)
      headers['content-type'] ??= 'application/json'
    }
    const signal = defaults.timeoutMs === undefined ? undefined : AbortSignal.timeout(defaults.timeoutMs)
    return readJsonResponse<T>(await fetch(`${url}${path}`, { method, headers, body: payload, signal }))
  }
  return {
    url,
    request,
    get: (path, options) => request('GET', path, undefined, options),
    post: (path, body, options) => request('POST', path, body, options),
    put: (path, body, options) => request('PUT', path, body, options),
    patch: (path, body, options) => request('PATCH', path, body, options),
    delete: (path, options) => request('DELETE', path, undefined, options),
  }
}

/** Throws with the answer unless it is a 2xx (a write a test builds on, not one it judges); answers it otherwise. */
export function expect2xx<T>(res: JsonResponse<T>, what: string): JsonResponse<T> {
  if (res.status < 200 || res.status > 299) throw new Error(`${what}: ${res.status} ${res.text}`)
  return res
}
