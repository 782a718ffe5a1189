/** What /config.json tells the dashboard: where the API is and how to sign in. */
export interface OidcSettings {
  /** The OpenID Connect issuer (deployed), or the local dev issuer's origin (dev). */
  issuer: string;
  client_id: string;
  audience: string;
  scope: string;
  /** The local stack's dev sign-in: plain OAuth 2.0 metadata over http on the loopback address. */
  dev?: boolean;
}

export interface DashboardConfig {
  /** The API's base URL; "" is the dashboard's own origin (the local stack). */
  api_url: string;
  oidc: OidcSettings | null;
}

export async function loadConfig(): Promise<DashboardConfig> {
  const response = await fetch('/config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`The dashboard's /config.json could not be loaded (HTTP ${response.status}).`);
  const config = (await response.json()) as DashboardConfig;
  if (typeof config.api_url !== 'string') throw new Error('/config.json has no api_url.');
  return config;
}
