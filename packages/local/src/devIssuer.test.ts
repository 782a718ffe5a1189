import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DevIssuer } from './devIssuer';

const dirs: string[] = [];
const issuerIn = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'keyledger-issuer-'));
  dirs.push(dir);
  return DevIssuer.openOrCreate(dir, { audience: 'keyledger', tenantClaim: 'tenant_id' });
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const refusal = async (issuer: DevIssuer, token: string) => {
  const error = await issuer.verify(token).then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeDefined();
  return issuer.explainRefusal(token, error);
};

describe('dev issuer refusals', () => {
  it('says a token of another data dir\'s issuer is from another issuer, and what to do', async () => {
    const [server, other] = [await issuerIn(), await issuerIn()];
    const token = await other.sign({ tenant: 'acme', scopes: [] });
    const message = await refusal(server, token);
    expect(message).toBe(
      `the token is from "${other.issuer}", not from this stack's dev issuer (${server.issuer}); mint one with \`keyledger token\` and the KEYLEDGER_DATA_DIR this server uses`,
    );
  });

  it('tells an expired token, a wrong audience, a forged signature and a non-JWT apart', async () => {
    const issuer = await issuerIn();
    expect(await refusal(issuer, await issuer.sign({ tenant: 'acme', scopes: [], expiresIn: -10 }))).toMatch(/^the token has expired/);
    const otherAudience = await DevIssuer.openOrCreate(dirs.at(-1)!, { audience: 'elsewhere', tenantClaim: 'tenant_id' });
    expect(await refusal(issuer, await otherAudience.sign({ tenant: 'acme', scopes: [] }))).toBe('the token\'s audience is not "keyledger" (KEYLEDGER_JWT_AUDIENCE)');
    const [header, payload] = (await issuer.sign({ tenant: 'acme', scopes: [] })).split('.');
    expect(await refusal(issuer, `${header}.${payload}.${'A'.repeat(86)}`)).toMatch(/^the token did not verify/);
    expect(await refusal(issuer, 'not-a-jwt')).toBe('it is not a JWT');
  });
});
