import { useEffect, useState } from 'preact/hooks';
import type { ChainVerification, LogEntry } from '@keyledger/audit-log/chain';
import type { ViewProps } from '../App';
import { DETAIL_TYPES } from '@keyledger/events/detail-types';
import { verifyTenantChain } from '../chain';
import { ErrorNote, formatTime, useAction } from '../components/controls';
import { logQuery, type LogFilters as Filters } from '../logFilters';

const PER_PAGE = 50;
const TYPES = DETAIL_TYPES;

export function AuditView({ api, scopes }: ViewProps) {
  const [filters, setFilters] = useState<Filters>({ type: '', from: '', to: '', search: '' });
  const [page, setPage] = useState(0);
  const [result, setResult] = useState<{ logs: LogEntry[]; total: number } | null>(null);
  const [chain, setChain] = useState<ChainVerification | { checking: number } | null>(null);
  const [error, busy, run] = useAction();
  const [chainError, , runChain] = useAction();

  const search = (toPage: number, applied = filters) =>
    run(async () => {
      const query = new URLSearchParams({ page: String(toPage), per_page: String(PER_PAGE), include_totals: 'true', sort: 'date:-1' });
      const q = logQuery(applied);
      if (q) query.set('q', q);
      setResult(await api.request('GET', `/api/v2/logs?${query}`));
      setPage(toPage);
    });
  const verify = () =>
    runChain(async () => {
      setChain({ checking: 0 });
      setChain(await verifyTenantChain(api, (checking) => setChain({ checking })));
    });
  useEffect(() => {
    if (!scopes.has('read:logs')) return;
    void search(0);
    void verify();
  }, []);

  if (!scopes.has('read:logs')) return <p class="missing-scope">The audit log needs read:logs.</p>;
  const set = (name: keyof Filters) => (event: Event) => setFilters({ ...filters, [name]: (event.target as HTMLInputElement).value });
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">Audit log</h1>
      <ChainBadge chain={chain} onVerify={() => void verify()} />
      <ErrorNote error={chainError} />
      <form
        class="toolbar filters"
        onSubmit={(event) => {
          event.preventDefault();
          void search(0);
        }}
      >
        <label>
          Type{' '}
          <select value={filters.type} onChange={set('type')}>
            <option value="">all</option>
            {TYPES.map((type) => (
              <option key={type} value={type}>
                {type}
              </option>
            ))}
          </select>
        </label>
        <label>
          From <input type="date" value={filters.from} onInput={set('from')} />
        </label>
        <label>
          To <input type="date" value={filters.to} onInput={set('to')} />
        </label>
        <label>
          Search <input type="search" value={filters.search} onInput={set('search')} placeholder="*rekey*, description:*CPRK*, user_id:… (exact unless *)" />
        </label>
        <button type="submit" disabled={busy}>
          Search
        </button>
      </form>
      <ErrorNote error={error} />
      {result && (
        <>
          <p class="summary">
            {result.total} {result.total === 1 ? 'entry' : 'entries'}{result.total > PER_PAGE ? `, page ${page + 1} of ${Math.ceil(result.total / PER_PAGE)}` : ''}
          </p>
          <ol class="timeline" aria-label="Audit entries, newest first">
            {result.logs.map((entry) => (
              <li key={entry.log_id} data-log-id={entry.log_id} data-type={entry.type}>
                <details>
                  <summary>
                    <time dateTime={entry.date}>{formatTime(entry.date)}</time> <span class={`log-type log-${entry.type}`}>{entry.type}</span> {entry.description}
                  </summary>
                  <pre>{JSON.stringify(entry, null, 2)}</pre>
                </details>
              </li>
            ))}
          </ol>
          <div class="toolbar">
            <button type="button" disabled={busy || page === 0} onClick={() => void search(page - 1)}>
              Newer
            </button>
            <button type="button" disabled={busy || (page + 1) * PER_PAGE >= result.total} onClick={() => void search(page + 1)}>
              Older
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function ChainBadge({ chain, onVerify }: { chain: ChainVerification | { checking: number } | null; onVerify: () => void }) {
  if (!chain) return null;
  if ('checking' in chain) {
    return (
      <p class="badge badge-checking" role="status">
        Verifying the hash chain… {chain.checking} entries read
      </p>
    );
  }
  return (
    <div class={`badge ${chain.ok ? 'badge-intact' : 'badge-broken'}`} role="status" data-testid="chain-badge" data-chain={chain.ok ? 'intact' : 'broken'}>
      {chain.ok ? (
        <span>Chain intact: {chain.entries} entries, every hash and link checks out.</span>
      ) : (
        <span>
          Chain broken at entry <code>{chain.log_id ?? '(unknown)'}</code> (sequence {chain.sequence}): {chain.message}
        </span>
      )}{' '}
      <button type="button" onClick={onVerify}>
        Verify again
      </button>
    </div>
  );
}
