/** The public HTTP API with the signed-in user's bearer token; every refusal keeps the API's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Api {
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  exchange<T>(method: string, path: string, body?: unknown): Promise<{ body: T; headers: Headers }>;
}

/** `onUnauthorized`: the token expired or was refused (the dashboard then asks to sign in again). */
export function createApi(baseUrl: string, token: string, onUnauthorized?: (message: string) => void): Api {
  async function exchange<T>(method: string, path: string, body?: unknown): Promise<{ body: T; headers: Headers }> {
    const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    const parsed = text ? (JSON.parse(text) as unknown) : undefined;
    if (!response.ok) {
      const error = (parsed ?? {}) as { message?: string; errorCode?: string; error?: string };
      if (response.status === 401) onUnauthorized?.(`Signed out: ${error.message ?? 'the API refused the token'}`);
      throw new ApiError(response.status, error.errorCode, `${response.status} ${error.error ?? response.statusText}: ${error.message ?? 'the API refused the request.'}`);
    }
    return { body: parsed as T, headers: response.headers };
  }
  return {
    exchange,
    request: async <T>(method: string, path: string, body?: unknown) => (await exchange<T>(method, path, body)).body,
  };
}

export const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
