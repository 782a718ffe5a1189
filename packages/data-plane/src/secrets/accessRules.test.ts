import { checkSecretRead, globMatch, SecretAccessDeniedError } from './accessRules';

describe('secret access rules', () => {
  it.each([
    ['db.*', 'db.password', true],
    ['db.*', 'db.', true],
    ['db.*', 'db', false],
    ['*', 'anything', true],
    ['*.password', 'db.password', true],
    ['*.password', 'db.password.old', false],
    ['a*b*c', 'a-x-b-y-c', true],
    ['a*b*c', 'a-x-c-y-b', false],
    ['db.password', 'db.password', true],
    ['db.password', 'db.passwords', false],
    ['**', '', true],
  ])('glob %s on %s: %s', (glob, name, matches) => {
    expect(globMatch(glob, name)).toBe(matches);
  });

  it('matches a worst-case glob against a long name in few steps (no regular expression, no exponential backtracking)', () => {
    const glob = `${'a*'.repeat(64)}b`;
    const name = 'a'.repeat(128);
    const started = process.hrtime.bigint();
    expect(globMatch(glob, name)).toBe(false);
    // Bounded by |glob| x |name| steps: far under a millisecond of work, measured loosely.
    expect(Number(process.hrtime.bigint() - started)).toBeLessThan(50_000_000);
  });

  it('lets the first matching rule decide, by client or subject; no matching rule leaves reads to the scope', () => {
    const rules = [
      { match: 'db.*', read: { clients: ['svc-orders'], subjects: ['auth0|alice'] } },
      { match: '*', read: { clients: [], subjects: [] } },
    ];
    expect(() => checkSecretRead(rules, 'secrets', 'db.password', { clientId: 'svc-orders', subject: 'x' })).not.toThrow();
    expect(() => checkSecretRead(rules, 'secrets', 'db.password', { clientId: 'other', subject: 'auth0|alice' })).not.toThrow();
    expect(() => checkSecretRead(rules, 'secrets', 'db.password', { clientId: 'other', subject: 'bob' })).toThrow(
      new SecretAccessDeniedError(
        "Secret access rule 1 ('db.*') of the namespace 'secrets' does not let this token read 'db.password' (its client is 'other', its subject 'bob').",
      ),
    );
    expect(() => checkSecretRead(rules, 'secrets', 'api.key', { clientId: 'svc-orders', subject: null })).toThrow("Secret access rule 2 ('*')");
    expect(() => checkSecretRead([], 'secrets', 'api.key', { clientId: null, subject: null })).not.toThrow();
  });
});
