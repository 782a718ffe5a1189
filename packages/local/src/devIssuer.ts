import { randomUUID } from 'node:crypto';
import { BoundedCache } from '@keyledger/domain';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createLocalJWKSet, decodeJwt, exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';

export const DEV_ISSUER_FILE = 'dev-issuer.json';
const ALGORITHM = 'ES256';
const VERIFIED_CACHE_SIZE = 1_000;

interface IssuerFile {
  warning: string;
  issuer: string;
  kid: string;
  private_jwk: JWK;
}

export interface TokenRequest {
  tenant: string;
  scopes: readonly string[];
  subject?: string;
  clientId?: string;
  /** Seconds until expiry. */
  expiresIn?: number;
}

/**
 * The local stand-in for the deployment's identity provider: an ES256 signing key kept in the
 * data dir (mode 0600). It mints tokens for `keyledger token` and verifies them in the local
 * server, as API Gateway's JWT authorizer does in AWS.
 */
export class DevIssuer {
  private constructor(
    readonly issuer: string,
    readonly audience: string,
    readonly tenantClaim: string,
    private readonly kid: string,
    private readonly privateJwk: JWK,
    readonly jwks: JSONWebKeySet,
  ) {
    this.keySet = createLocalJWKSet(jwks);
  }

  private readonly keySet: ReturnType<typeof createLocalJWKSet>;
  private readonly verified = new BoundedCache<JWTPayload>({ maxEntries: VERIFIED_CACHE_SIZE, ttlMs: 0, now: Date.now });

  static async openOrCreate(dataDir: string, options: { audience: string; tenantClaim: string }): Promise<DevIssuer> {
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    const path = join(dataDir, DEV_ISSUER_FILE);
    const { privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
    const fresh: IssuerFile = {
      warning: 'DEVELOPMENT ONLY: signing key of the local dev token issuer.',
      issuer: `urn:keyledger:local-dev-issuer:${randomUUID()}`,
      kid: randomUUID(),
      private_jwk: await exportJWK(privateKey),
    };
    try {
      await writeFile(path, `${JSON.stringify(fresh, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const file = JSON.parse(await readFile(path, 'utf8')) as IssuerFile;
    const { d: _private, ...publicJwk } = file.private_jwk;
    return new DevIssuer(file.issuer, options.audience, options.tenantClaim, file.kid, file.private_jwk, {
      keys: [{ ...publicJwk, kid: file.kid, alg: ALGORITHM, use: 'sig' }],
    });
  }

  /**
   * Why verify() refused a token, for the 401 message: above all, a token of another dev issuer
   * (minted with another data dir) says so and what to do. Read from the token's unverified
   * claims, so only the issuer is named, and at most 100 characters of it.
   */
  explainRefusal(token: string, error: unknown): string {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_JWT_EXPIRED') return 'the token has expired (mint a new one with `keyledger token`)';
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      return 'it is not a JWT';
    }
    if (claims.iss !== this.issuer) {
      const issuer = typeof claims.iss === 'string' ? JSON.stringify(claims.iss.slice(0, 100)) : 'no issuer';
      return `the token is from ${issuer}, not from this stack's dev issuer (${this.issuer}); mint one with \`keyledger token\` and the KEYLEDGER_DATA_DIR this server uses`;
    }
    if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (error as { claim?: string }).claim === 'aud') {
      return `the token's audience is not ${JSON.stringify(this.audience)} (KEYLEDGER_JWT_AUDIENCE)`;
    }
    return 'the token did not verify (its signature does not match this stack\'s dev issuer key)';
  }

  async sign(request: TokenRequest): Promise<string> {
    const key = await importJWK(this.privateJwk, ALGORITHM);
    return new SignJWT({
      [this.tenantClaim]: request.tenant,
      scope: request.scopes.join(' '),
      azp: request.clientId ?? 'keyledger-cli',
      // Auth0's client-credentials tokens name the client in azp; some issuers use client_id.
      ...(request.clientId ? { client_id: request.clientId } : {}),
    })
      .setProtectedHeader({ alg: ALGORITHM, kid: this.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(request.subject ?? `local-dev|${request.tenant}`)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (request.expiresIn ?? 3600))
      .sign(key);
  }

  /**
   * Verifies signature, issuer, audience and expiry; returns the claims. A verified token is
   * remembered until it expires (at most VERIFIED_CACHE_SIZE of them): an ES256 verification
   * costs more than a whole 1 KiB encrypt, and in AWS the API Gateway authorizer does this work
   * outside the handler's process.
   */
  async verify(token: string): Promise<JWTPayload> {
    const remembered = this.verified.get(token);
    if (remembered) return remembered;
    const { payload } = await jwtVerify(token, this.keySet, {
      issuer: this.issuer,
      audience: this.audience,
      algorithms: [ALGORITHM],
    });
    if (payload.exp !== undefined) this.verified.set(token, payload, payload.exp * 1000 - Date.now());
    return payload;
  }
}
