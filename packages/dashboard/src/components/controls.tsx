import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';

/** A button the token may not use is shown disabled, with the missing scopes named. */
export function ScopedButton(props: {
  scopes: Set<string>;
  needs: readonly string[];
  onClick: () => void;
  children: ComponentChildren;
  danger?: boolean;
  busy?: boolean;
}) {
  const missing = props.needs.filter((scope) => !props.scopes.has(scope));
  return (
    <span class="scoped">
      <button type="button" class={props.danger ? 'danger' : undefined} disabled={missing.length > 0 || props.busy} onClick={props.onClick}>
        {props.children}
      </button>
      {missing.length > 0 && <span class="missing-scope">needs {missing.join(' and ')}</span>}
    </span>
  );
}

/** A modal confirmation that says what will happen; nothing happens until "confirm". */
export function Confirm(props: { title: string; children: ComponentChildren; confirmLabel: string; onConfirm: () => void; onCancel: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    dialog.current?.showModal();
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onCancel={props.onCancel} class="confirm">
      <h2 id="confirm-title">{props.title}</h2>
      <div class="confirm-body">{props.children}</div>
      <div class="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function ErrorNote({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p class="error" role="alert">
      {error}
    </p>
  );
}

/** Runs an API action, keeping its refusal's message for display. */
export function useAction(): [string | null, boolean, (action: () => Promise<void>) => Promise<void>] {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (action: () => Promise<void>) => {
    setError(null);
    setBusy(true);
    try {
      await action();
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    } finally {
      setBusy(false);
    }
  };
  return [error, busy, run];
}

export const formatTime = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '—');
