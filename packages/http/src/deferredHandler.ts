/**
 * A value whose set-up is asynchronous (a PIN read from Secrets Manager, an HSM session). Set-up
 * starts at once, when the module loads, during Lambda's init phase; every caller awaits the
 * same promise. A failed set-up is not cached: the next call tries again, so one Secrets Manager
 * hiccup does not poison the execution environment.
 */
export function deferred<T>(create: () => Promise<T>): () => Promise<T> {
  let ready: Promise<T> | undefined;
  const start = () => {
    ready = create();
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };
  start();
  return () => ready ?? start();
}
