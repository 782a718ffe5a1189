/** A small client for the keyledger HTTP APIs that turns Auth0 error bodies into readable errors. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly errorCode?: string,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  url: string;
  token?: string;
  fetch?: typeof fetch;
}

export class ApiClient {
  constructor(private readonly options: ApiClientOptions) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    return (await this.exchange<T>(method, path, body)).body;
  }

  /** The parsed body and the response headers. */
  async exchange<T>(method: string, path: string, body?: unknown): Promise<{ body: T; headers: Headers }> {
    if (!this.options.token) {
      throw new ApiError(401, 'No token: pass --token or set KEYLEDGER_TOKEN (mint one with `keyledger token`).');
    }
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(new URL(path, this.options.url), {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new ApiError(0, `Cannot reach keyledger at ${this.options.url}: ${(error as Error).message}. Is it running (npm start)?`);
    }
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const error = (parsed ?? {}) as { message?: string; errorCode?: string };
      throw new ApiError(response.status, `${response.status} ${error.message ?? response.statusText}`, error.errorCode);
    }
    return { body: parsed as T, headers: response.headers };
  }
}
