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

/** A Lambda handler whose set-up is asynchronous (see `deferred`). */
export function deferredHandler<Args extends unknown[], Result>(
  create: () => Promise<(...args: Args) => Promise<Result>>,
): (...args: Args) => Promise<Result> {
  const handler = deferred(create);
  return async (...args: Args) => (await handler())(...args);
}
