import { useEffect, useState } from 'preact/hooks';
import type { ViewProps } from '../App';
import type { Api } from '../api';
import { Confirm, ErrorNote, formatTime, ScopedButton, useAction } from '../components/controls';
import { buildKeyTree, KEY_TYPE_LABELS, timeStops, type DestroyedFilter, type KeyNode, type KeyView } from '../keyTree';

const PAGE = 100;
const MAX_PAGES = 20;
const STATES: KeyView['state'][] = ['pre-activation', 'active', 'deactivated', 'destroyed'];

/** Every key of a listing (the current one, or as of an instant), page by page. */
export async function loadKeys(api: Api, at: string | null): Promise<{ keys: KeyView[]; total: number }> {
  const keys: KeyView[] = [];
  let total = 0;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const query = new URLSearchParams({ page: String(page), per_page: String(PAGE), include_totals: 'true' });
    if (at) query.set('at', at);
    const body = await api.request<{ keys: KeyView[]; total: number }>('GET', `${at ? '/v1/keys/as-of' : '/api/v2/keys/encryption'}?${query}`);
    keys.push(...body.keys);
    total = body.total;
    if (body.keys.length < PAGE || keys.length >= total) break;
  }
  return { keys, total };
}

export function KeysView({ api, scopes }: ViewProps) {
  const [current, setCurrent] = useState<KeyView[] | null>(null);
  const [shown, setShown] = useState<{ keys: KeyView[]; total: number; at: string | null } | null>(null);
  const [stop, setStop] = useState<number | null>(null);
  const [filter, setFilter] = useState<DestroyedFilter>('all');
  const [confirming, setConfirming] = useState(false);
  const [error, busy, run] = useAction();

  const refresh = () =>
    run(async () => {
      const listing = await loadKeys(api, null);
      setCurrent(listing.keys);
      setShown({ ...listing, at: null });
      setStop(null);
    });
  const canRead = scopes.has('read:encryption_keys');
  useEffect(() => {
    if (canRead) void refresh();
  }, []);

  const stops = current ? timeStops(current) : [];
  const travel = (index: number) =>
    run(async () => {
      setStop(index);
      const at = stops[index]?.at ?? null;
      setShown({ ...(await loadKeys(api, at)), at });
    });
  const [instant, setInstant] = useState('');
  const travelTo = (value: string) =>
    run(async () => {
      const at = new Date(`${value}Z`);
      if (Number.isNaN(at.getTime())) throw new Error('Enter a date and time (UTC).');
      setStop(null);
      setShown({ ...(await loadKeys(api, at.toISOString())), at: at.toISOString() });
    });

  const rekey = () =>
    run(async () => {
      setConfirming(false);
      await api.request('POST', '/api/v2/keys/encryption/rekey');
      const listing = await loadKeys(api, null);
      setCurrent(listing.keys);
      setShown({ ...listing, at: null });
      setStop(null);
    });

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">Key hierarchy</h1>
      <div class="toolbar">
        <ScopedButton scopes={scopes} needs={['create:encryption_keys', 'update:encryption_keys']} onClick={() => setConfirming(true)} busy={busy} danger>
          Rekey…
        </ScopedButton>
        <label>
          Destroyed keys{' '}
          <select value={filter} onChange={(event) => setFilter((event.target as HTMLSelectElement).value as DestroyedFilter)}>
            <option value="all">shown</option>
            <option value="hide">hidden</option>
            <option value="only">only destroyed</option>
          </select>
        </label>
      </div>
      {!canRead && <p class="missing-scope">Reading the hierarchy needs read:encryption_keys.</p>}
      <ErrorNote error={error} />
      {stops.length > 0 && (
        <div class="time-travel">
          <label for="time-slider">Time travel: the hierarchy as it was {shown?.at ? `at ${shown.at}` : 'now'}</label>
          <input
            id="time-slider"
            type="range"
            min={0}
            max={stops.length - 1}
            value={stop ?? stops.length - 1}
            aria-valuetext={shown?.at ? `as of ${shown.at}` : 'now'}
            onChange={(event) => travel(Number((event.target as HTMLInputElement).value))}
          />
          <span class="hint">
            {stops.length} changes; {shown?.at ? <button type="button" onClick={() => void refresh()}>back to now</button> : 'move the slider back to see earlier states'}
          </span>
          <form
            class="toolbar"
            onSubmit={(event) => {
              event.preventDefault();
              void travelTo(instant);
            }}
          >
            <label>
              Or at an instant (UTC){' '}
              <input type="datetime-local" step={1} value={instant} onInput={(event) => setInstant((event.target as HTMLInputElement).value)} required />
            </label>
            <button type="submit" disabled={busy}>
              Show
            </button>
          </form>
        </div>
      )}
      <Legend />
      {shown && (
        <>
          <p class="summary" data-testid="key-summary">
            {shown.total} keys{shown.at ? ` as of ${shown.at}` : ''}
            {shown.keys.length < shown.total ? ` (the newest ${shown.keys.length} shown)` : ''}
          </p>
          <ul class="tree" aria-label="Key hierarchy">
            {buildKeyTree(shown.keys, filter).map((node) => (
              <KeyItem key={node.key.kid} node={node} api={api} live={!shown.at} />
            ))}
          </ul>
        </>
      )}
      {confirming && (
        <Confirm title="Rekey this tenant?" confirmLabel="Rekey now" onCancel={() => setConfirming(false)} onConfirm={() => void rekey()}>
          <ul>
            <li>A new tenant master key (TMK) is created under the current root key.</li>
            <li>Every namespace gets a new active key; the current namespace keys are deactivated (they still decrypt) and re-wrapped under the new TMK.</li>
            <li>The current TMK is destroyed: its key material is deleted and cannot be recovered.</li>
          </ul>
        </Confirm>
      )}
    </section>
  );
}

function Legend() {
  return (
    <ul class="legend" aria-label="Key states">
      {STATES.map((state) => (
        <li key={state}>
          <span class={`state state-${state}`}>{state}</span>
        </li>
      ))}
    </ul>
  );
}

function KeyItem({ node, api, live }: { node: KeyNode; api: Api; live: boolean }) {
  const { key } = node;
  const [usage, setUsage] = useState<{ secret_versions: number; decrypts: number; last_decrypt_at: string | null } | null>(null);
  const [error, busy, run] = useAction();
  const showUsage = () => run(async () => setUsage(await api.request('GET', `/v1/keys/${encodeURIComponent(key.kid)}/usage`)));
  return (
    <li id={`key-${key.kid}`} data-kid={key.kid} data-state={key.state} data-type={key.type}>
      <div class={`key key-${key.state}`}>
        <span class={`state state-${key.state}`}>{key.state}</span> <strong>{KEY_TYPE_LABELS[key.type]}</strong>
        {key.namespace && <span class="namespace"> namespace {key.namespace}</span>} <code class="kid">{key.kid}</code>
        <div class="meta">
          created {formatTime(key.created_at)} · updated {formatTime(key.updated_at)}
          {key.parent_kid && (
            <>
              {' '}
              · parent <a href={`#/keys`} onClick={(event) => focusKey(event, key.parent_kid!)}>{key.parent_kid}</a>
            </>
          )}
          {live && key.type === 'tenant-encryption-key' && key.state !== 'destroyed' && !usage && (
            <>
              {' '}
              ·{' '}
              <button type="button" class="link" disabled={busy} onClick={() => void showUsage()}>
                usage
              </button>
            </>
          )}
        </div>
        {usage && (
          <div class="meta usage">
            {usage.secret_versions} stored secret versions · {usage.decrypts} decrypts since deactivation · last decrypt {formatTime(usage.last_decrypt_at)}
          </div>
        )}
        <ErrorNote error={error} />
      </div>
      {node.children.length > 0 && (
        <ul>
          {node.children.map((child) => (
            <KeyItem key={child.key.kid} node={child} api={api} live={live} />
          ))}
        </ul>
      )}
    </li>
  );
}

function focusKey(event: Event, kid: string) {
  event.preventDefault();
  const target = document.getElementById(`key-${kid}`);
  if (!target) return;
  target.scrollIntoView({ block: 'center' });
  target.classList.add('highlight');
  setTimeout(() => target.classList.remove('highlight'), 1500);
}
