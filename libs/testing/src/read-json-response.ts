/** A response as tests look at it: status, headers, the parsed JSON body (undefined if none) and the raw text. */
export interface JsonResponse<T = any> {
  status: number
  headers: Headers
  body: T
  text: string
}

/** Reads a response as tests look at it (a body that is not JSON becomes undefined; `text` keeps it). */
export async function readJsonResponse<T = any>(response: Response): Promise<JsonResponse<T>> {
  const text = await response.text()
  let body: unknown
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    body = undefined
  }
  return { status: response.status, headers: response.headers, body: body as T, text }
}
