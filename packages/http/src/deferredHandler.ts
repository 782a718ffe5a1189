/**
 * A Lambda handler whose set-up is asynchronous (a PIN read from Secrets Manager, an HSM
 * session). Set-up starts when the module loads, during Lambda's init phase; every invocation
 * awaits the same promise. A failed set-up is not cached: the next invocation tries again, so
 * one Secrets Manager hiccup does not poison the execution environment.
 */
export function deferredHandler<Args extends unknown[], Result>(
  create: () => Promise<(...args: Args) => Promise<Result>>,
): (...args: Args) => Promise<Result> {
  let ready: Promise<(...args: Args) => Promise<Result>> | undefined;
  const start = () => {
    ready = create();
    ready.catch(() => {
      ready = undefined;
    });
    return ready;
  };
  start();
  return async (...args: Args) => (await (ready ?? start()))(...args);
}
