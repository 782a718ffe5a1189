import { useEffect, useState } from 'preact/hooks';
import { createApi, errorMessage, type Api } from './api';
import { completeSignIn, grantedScopes, signIn, signOut, tokenClaims, type Session } from './auth';
import { loadConfig, type DashboardConfig } from './config';
import { AuditView } from './views/AuditView';
import { ByokWizard } from './views/ByokWizard';
import { KeysView } from './views/KeysView';
import { SecretsView } from './views/SecretsView';

const VIEWS = [
  { route: 'keys', label: 'Keys' },
  { route: 'byok', label: 'Bring your own key' },
  { route: 'audit', label: 'Audit log' },
  { route: 'secrets', label: 'Secrets' },
] as const;
type Route = (typeof VIEWS)[number]['route'];

const routeOf = (hash: string): Route => (VIEWS.find((view) => `#/${view.route}` === hash)?.route ?? 'keys');

export interface ViewProps {
  api: Api;
  scopes: Set<string>;
}

export function App() {
  const [config, setConfig] = useState<DashboardConfig | null>(null);
  const [session, setSession] = useState<Session | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [route, setRoute] = useState<Route>(routeOf(location.hash));

  useEffect(() => {
    const onHash = () => setRoute(routeOf(location.hash));
    addEventListener('hashchange', onHash);
    (async () => {
      const loaded = await loadConfig();
      setConfig(loaded);
      if (loaded.oidc) setSession(await completeSignIn(loaded.oidc));
      setRoute(routeOf(location.hash));
    })().catch((error: unknown) => setFailure(errorMessage(error)));
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // The token lives in memory until it expires; then the dashboard asks to sign in again.
  useEffect(() => {
    if (!session) return;
    const timer = setTimeout(() => {
      setSession(null);
      setFailure('Your session expired: sign in again.');
    }, Math.max(0, session.expiresAt - Date.now() - 5_000));
    return () => clearTimeout(timer);
  }, [session]);

  const claims = session ? tokenClaims(session.accessToken) : {};
  const tenant = Object.entries(claims).find(([name]) => name === 'tenant_id' || name.endsWith('/tenant_id'))?.[1];
  return (
    <>
      <header class="top">
        <span class="brand">keyledger</span>
        {config?.oidc?.dev && <span class="dev-badge">local development stack</span>}
        {session && (
          <nav aria-label="Views">
            {VIEWS.map((view) => (
              <a key={view.route} href={`#/${view.route}`} aria-current={route === view.route ? 'page' : undefined}>
                {view.label}
              </a>
            ))}
          </nav>
        )}
        {session && (
          <span class="who">
            {typeof tenant === 'string' ? `tenant ${tenant}` : ''} · {String(claims['sub'] ?? '')}{' '}
            <button
              type="button"
              onClick={() => {
                setSession(null);
                if (config?.oidc) void signOut(config.oidc);
              }}
            >
              Sign out
            </button>
          </span>
        )}
      </header>
      <main>
        {failure && (
          <p class="error" role="alert">
            {failure}
          </p>
        )}
        {!session && config && <SignIn config={config} onError={setFailure} />}
        {session && config && (
          <CurrentView
            route={route}
            api={createApi(config.api_url, session.accessToken, (message) => {
              setSession(null);
              setFailure(message);
            })}
            scopes={grantedScopes(session.accessToken)}
          />
        )}
      </main>
    </>
  );
}

function CurrentView({ route, ...props }: ViewProps & { route: Route }) {
  switch (route) {
    case 'keys':
      return <KeysView {...props} />;
    case 'byok':
      return <ByokWizard {...props} />;
    case 'audit':
      return <AuditView {...props} />;
    case 'secrets':
      return <SecretsView {...props} />;
  }
}

function SignIn({ config, onError }: { config: DashboardConfig; onError: (message: string) => void }) {
  if (!config.oidc) {
    return (
      <section>
        <h1>Sign-in is not configured</h1>
        <p>This deployment has no OpenID Connect client for the dashboard: deploy with <code>-c dashboardClientId=&lt;your SPA client id&gt;</code>.</p>
      </section>
    );
  }
  const oidc = config.oidc;
  return (
    <section>
      <h1>keyledger dashboard</h1>
      <p>
        The key hierarchy, rekey, bring-your-own-key, the audit trail and secrets of your tenant. Sign in with{' '}
        {oidc.dev ? 'the local stack’s dev issuer (it asks for the one-time code npm start printed)' : oidc.issuer}.
      </p>
      <button type="button" class="primary" onClick={() => signIn(oidc).catch((error: unknown) => onError(errorMessage(error)))}>
        Sign in
      </button>
    </section>
  );
}
