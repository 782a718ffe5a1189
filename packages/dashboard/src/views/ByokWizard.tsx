import { useEffect, useState } from 'preact/hooks';
import type { ViewProps } from '../App';
import { Confirm, ErrorNote, formatTime, ScopedButton, useAction } from '../components/controls';
import type { KeyView } from '../keyTree';
import { opensslCommands, wrappedKeyFromFile } from '../opensslCommands';
import { loadKeys } from './KeysView';

interface WrappingKey {
  public_key: string;
  algorithm: string;
  oaep_hash: 'sha256' | 'sha1';
  expires_at: string;
}

/** BYOK step by step: create the CPRK, get its wrapping key, upload the wrapped material, see it active; delete it. */
export function ByokWizard({ api, scopes }: ViewProps) {
  const [keys, setKeys] = useState<KeyView[]>([]);
  const [wrapping, setWrapping] = useState<WrappingKey | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [copied, setCopied] = useState(false);
  const [error, busy, run] = useAction();

  const reload = async () => setKeys((await loadKeys(api, null)).keys);
  const canRead = scopes.has('read:encryption_keys');
  useEffect(() => {
    if (canRead) void run(reload);
  }, []);
  if (!canRead) return <p class="missing-scope">The wizard reads the hierarchy first: it needs read:encryption_keys.</p>;

  const cprk = keys.find((key) => key.type === 'customer-provided-root-key' && key.state !== 'destroyed');
  const tmk = keys.find((key) => key.type === 'tenant-master-key' && key.state === 'active');
  const step = !cprk ? 1 : cprk.state === 'pre-activation' ? (wrapping ? 3 : 2) : 4;

  const create = () => run(async () => void (await api.request('POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' }), await reload()));
  const getWrappingKey = () =>
    run(async () => setWrapping(await api.request<WrappingKey>('POST', `/api/v2/keys/encryption/${encodeURIComponent(cprk!.kid)}/wrapping-key`, {})));
  const upload = () =>
    run(async () => {
      if (!file) throw new Error('Choose the wrapped key file (wrapped.b64) first.');
      const wrappedKey = wrappedKeyFromFile(new Uint8Array(await file.arrayBuffer()));
      await api.request('POST', `/api/v2/keys/encryption/${encodeURIComponent(cprk!.kid)}`, { wrapped_key: wrappedKey });
      setWrapping(null);
      await reload();
    });
  const remove = () =>
    run(async () => {
      setConfirmDelete(false);
      await api.request('DELETE', `/api/v2/keys/encryption/${encodeURIComponent(cprk!.kid)}`);
      setWrapping(null);
      await reload();
    });
  const download = () => {
    const url = URL.createObjectURL(new Blob([wrapping!.public_key], { type: 'application/x-pem-file' }));
    const link = document.createElement('a');
    link.href = url;
    link.download = 'wrapping.pem';
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section aria-labelledby="byok-title">
      <h1 id="byok-title">Bring your own key</h1>
      <p>
        A customer-provided root key (CPRK) replaces the environment root key for this tenant: 256-bit key material from your premises, sent only wrapped
        under a one-time RSA-3072 wrapping key whose private half never leaves the root key store.
      </p>
      <ErrorNote error={error} />
      <ol class="steps">
        <li aria-current={step === 1 ? 'step' : undefined}>
          <h2>1. Create the customer-provided root key</h2>
          {cprk ? (
            <p>
              <code class="kid">{cprk.kid}</code> is <span class={`state state-${cprk.state}`}>{cprk.state}</span> (created {formatTime(cprk.created_at)}).
            </p>
          ) : (
            <ScopedButton scopes={scopes} needs={['create:encryption_keys']} onClick={() => void create()} busy={busy}>
              Create CPRK
            </ScopedButton>
          )}
        </li>
        <li aria-current={step === 2 ? 'step' : undefined}>
          <h2>2. Get the wrapping key and wrap your key material</h2>
          {step === 2 && (
            <ScopedButton scopes={scopes} needs={['create:encryption_keys']} onClick={() => void getWrappingKey()} busy={busy}>
              Get wrapping key
            </ScopedButton>
          )}
          {wrapping && (
            <>
              <p>
                Valid until {formatTime(wrapping.expires_at)}, for one import; OAEP hash <strong>{wrapping.oaep_hash}</strong>.{' '}
                <button type="button" onClick={download}>
                  Download wrapping.pem
                </button>
              </p>
              <p>Then, in the directory of wrapping.pem, with openssl:</p>
              <pre class="commands" data-testid="openssl-commands">
                {opensslCommands(wrapping.oaep_hash)}
              </pre>
              <button type="button" onClick={() => void navigator.clipboard.writeText(opensslCommands(wrapping.oaep_hash)).then(() => setCopied(true))}>
                {copied ? 'Copied' : 'Copy commands'}
              </button>
            </>
          )}
        </li>
        <li aria-current={step === 3 ? 'step' : undefined}>
          <h2>3. Upload the wrapped key</h2>
          {step === 3 && (
            <div class="toolbar">
              <label>
                Wrapped key file (wrapped.b64){' '}
                <input type="file" onChange={(event) => setFile((event.target as HTMLInputElement).files?.[0] ?? null)} />
              </label>
              <ScopedButton scopes={scopes} needs={['update:encryption_keys']} onClick={() => void upload()} busy={busy}>
                Import
              </ScopedButton>
            </div>
          )}
        </li>
        <li aria-current={step === 4 ? 'step' : undefined}>
          <h2>4. Active, wrapping the tenant master key</h2>
          {step === 4 && cprk && (
            <>
              <p data-testid="byok-active">
                The CPRK <code class="kid">{cprk.kid}</code> is <span class={`state state-${cprk.state}`}>{cprk.state}</span>
                {tmk && (
                  <>
                    {' '}
                    and wraps the tenant master key <code class="kid">{tmk.kid}</code>
                    {tmk.parent_kid === cprk.kid ? '' : ' (not yet: its parent is another key)'}
                  </>
                )}
                .
              </p>
              <ScopedButton scopes={scopes} needs={['delete:encryption_keys']} onClick={() => setConfirmDelete(true)} busy={busy} danger>
                Delete CPRK…
              </ScopedButton>
            </>
          )}
        </li>
      </ol>
      {confirmDelete && cprk && (
        <Confirm title="Delete the customer-provided root key?" confirmLabel="Delete CPRK" onCancel={() => setConfirmDelete(false)} onConfirm={() => void remove()}>
          <p>
            The tenant master key moves back under the environment root key first; then the CPRK <code>{cprk.kid}</code> is destroyed in the root key store. Its
            key material is gone for good: to use your own key again, import new material into a new CPRK.
          </p>
        </Confirm>
      )}
    </section>
  );
}
