import { useEffect, useState } from 'preact/hooks';
import type { ViewProps } from '../App';
import { Confirm, ErrorNote, formatTime, ScopedButton, useAction } from '../components/controls';

interface SecretVersion {
  version: number;
  created_at: string;
  created_by: string | null;
}

type Pending = { kind: 'rotate' | 'delete'; name: string } | null;
type Listed = { name: string; version: number; rotation: { period: string; last_rotated_at: string | null; next_rotation_at: string } | null };
type Usage = { version: number; client_id: string | null; subject: string | null; reads: number; last_read_at: string };

/**
 * Secret names, versions and dates, rotation schedules and who read them; a value only on an
 * explicit reveal, hidden again on request.
 */
export function SecretsView({ api, scopes }: ViewProps) {
  const [namespace, setNamespace] = useState('secrets');
  const [secrets, setSecrets] = useState<Listed[] | null>(null);
  const [usage, setUsage] = useState<Record<string, Usage[]>>({});
  const [versions, setVersions] = useState<Record<string, SecretVersion[]>>({});
  const [revealed, setRevealed] = useState<Record<string, string>>({});
  const [rotated, setRotated] = useState<{ name: string; version: number; value: string } | null>(null);
  const [pending, setPending] = useState<Pending>(null);
  const [error, busy, run] = useAction();
  const ns = `namespace=${encodeURIComponent(namespace)}`;
  const path = (name: string) => `/v1/secrets/${encodeURIComponent(name)}`;

  const list = () =>
    run(async () => {
      const all: Listed[] = [];
      let from: string | null = null;
      do {
        const page: { secrets: Listed[]; next: string | null } = await api.request(
          'GET',
          `/v1/secrets?${ns}&take=100${from ? `&from=${encodeURIComponent(from)}` : ''}`,
        );
        all.push(...page.secrets);
        from = page.next;
      } while (from && all.length < 1000);
      setSecrets(all);
      setVersions({});
      setUsage({});
      setRevealed({});
    });
  useEffect(() => {
    if (scopes.has('read:secrets')) void list();
  }, []);

  const showVersions = (name: string) =>
    run(async () => {
      const body = await api.request<{ versions: SecretVersion[] }>('GET', `${path(name)}/versions?${ns}`);
      setVersions({ ...versions, [name]: body.versions });
    });
  const showUsage = (name: string) =>
    run(async () => {
      const body = await api.request<{ usage: Usage[] }>('GET', `${path(name)}/usage?${ns}&take=100`);
      setUsage({ ...usage, [name]: body.usage });
    });
  const reveal = (name: string, version: number) =>
    run(async () => {
      const body = await api.request<{ value: string }>('GET', `${path(name)}?${ns}&version=${version}`);
      setRevealed({ ...revealed, [`${name}#${version}`]: body.value });
    });
  const hide = (name: string, version: number) => {
    const { [`${name}#${version}`]: _hidden, ...rest } = revealed;
    setRevealed(rest);
  };
  const confirmPending = () =>
    run(async () => {
      const action = pending!;
      setPending(null);
      if (action.kind === 'rotate') {
        const body = await api.request<{ version: number; value: string }>('POST', `${path(action.name)}/rotate?${ns}`, {});
        setRotated({ name: action.name, version: body.version, value: body.value });
      } else {
        await api.request('DELETE', `${path(action.name)}?${ns}`);
        setRotated(null);
      }
      await list();
    });

  if (!scopes.has('read:secrets')) return <p class="missing-scope">Secrets need read:secrets (values are shown only on an explicit reveal).</p>;
  return (
    <section aria-labelledby="secrets-title">
      <h1 id="secrets-title">Secrets</h1>
      <form
        class="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          void list();
        }}
      >
        <label>
          Namespace <input value={namespace} onInput={(event) => setNamespace((event.target as HTMLInputElement).value)} />
        </label>
        <button type="submit" disabled={busy}>
          Show
        </button>
      </form>
      <ErrorNote error={error} />
      {rotated && (
        <p class="notice" role="status">
          {rotated.name} is now at version {rotated.version}. Its new value, shown this once: <code class="secret-value">{rotated.value}</code>{' '}
          <button type="button" onClick={() => setRotated(null)}>
            Hide
          </button>
        </p>
      )}
      {secrets && secrets.length === 0 && <p>No secrets in namespace {namespace}.</p>}
      {secrets && secrets.length > 0 && (
        <table class="secrets">
          <caption>Secrets in namespace {namespace}</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Latest version</th>
              <th scope="col">Versions</th>
              <th scope="col">Rotation</th>
              <th scope="col">Reads</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {secrets.map((secret) => (
              <tr key={secret.name} data-secret={secret.name}>
                <td>
                  <code>{secret.name}</code>
                </td>
                <td>{secret.version}</td>
                <td>
                  {versions[secret.name] ? (
                    <ul class="versions">
                      {versions[secret.name]!.map((version) => {
                        const value = revealed[`${secret.name}#${version.version}`];
                        return (
                          <li key={version.version}>
                            v{version.version}, {formatTime(version.created_at)}
                            {version.created_by ? ` by ${version.created_by}` : ''}{' '}
                            {value === undefined ? (
                              <button type="button" onClick={() => void reveal(secret.name, version.version)} disabled={busy}>
                                Reveal v{version.version}
                              </button>
                            ) : (
                              <>
                                <code class="secret-value">{value}</code>{' '}
                                <button type="button" onClick={() => hide(secret.name, version.version)}>
                                  Hide
                                </button>
                              </>
                            )}
                          </li>
                        );
                      })}
                    </ul>
                  ) : (
                    <button type="button" onClick={() => void showVersions(secret.name)} disabled={busy}>
                      Show versions
                    </button>
                  )}
                </td>
                <td data-rotation>
                  {secret.rotation
                    ? `every ${secret.rotation.period}; last ${secret.rotation.last_rotated_at ? formatTime(secret.rotation.last_rotated_at) : 'never'}, next ${formatTime(secret.rotation.next_rotation_at)}`
                    : 'none'}
                </td>
                <td>
                  {usage[secret.name] ? (
                    usage[secret.name]!.length === 0 ? (
                      'no reads recorded yet'
                    ) : (
                      <ul class="usage">
                        {usage[secret.name]!.map((row) => (
                          <li key={`${row.version}/${row.client_id ?? ''}/${row.subject ?? ''}`}>
                            v{row.version}: {row.reads} by {row.client_id ?? row.subject ?? 'an unnamed caller'}, last {formatTime(row.last_read_at)}
                          </li>
                        ))}
                      </ul>
                    )
                  ) : (
                    <button type="button" onClick={() => void showUsage(secret.name)} disabled={busy}>
                      Show reads
                    </button>
                  )}
                </td>
                <td>
                  <ScopedButton scopes={scopes} needs={['update:secrets']} onClick={() => setPending({ kind: 'rotate', name: secret.name })} busy={busy}>
                    Rotate…
                  </ScopedButton>{' '}
                  <ScopedButton scopes={scopes} needs={['delete:secrets']} onClick={() => setPending({ kind: 'delete', name: secret.name })} busy={busy} danger>
                    Delete…
                  </ScopedButton>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pending && (
        <Confirm
          title={pending.kind === 'rotate' ? `Rotate ${pending.name}?` : `Delete ${pending.name}?`}
          confirmLabel={pending.kind === 'rotate' ? 'Rotate' : 'Delete'}
          onCancel={() => setPending(null)}
          onConfirm={() => void confirmPending()}
        >
          <p>
            {pending.kind === 'rotate'
              ? 'A new random value becomes the next version and is shown once; earlier versions stay readable until they are deleted.'
              : 'Every version of this secret is deleted: the values are gone and clients reading it get 404.'}
          </p>
        </Confirm>
      )}
    </section>
  );
}
