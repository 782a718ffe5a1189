import { randomBytes } from 'node:crypto';
import type { HttpResult } from '@keyledger/http';

const escape = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export interface SignInPageInput {
  status?: number;
  problem?: string;
  /** The authorization request's parameters, carried through the form. */
  fields?: Record<string, string>;
  tenant?: string;
  scopes?: readonly string[];
  chosen?: readonly string[];
}

/** The dev sign-in page: no script, one nonce'd style block, framing refused. */
export function signInPage(input: SignInPageInput): HttpResult {
  const nonce = randomBytes(16).toString('base64');
  const hidden = Object.entries(input.fields ?? {})
    .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
    .join('\n      ');
  const scopes = (input.scopes ?? [])
    .map((scope) => {
      const checked = input.chosen?.includes(scope) ? ' checked' : '';
      return `<li><label><input type="checkbox" name="scopes" value="${escape(scope)}"${checked}> <code>${escape(scope)}</code></label></li>`;
    })
    .join('\n        ');
  const form = input.fields
    ? `<form method="post" action="/dev/authorize">
      ${hidden}
      <p><label for="tenant">Tenant</label><br><input id="tenant" name="tenant" required value="${escape(input.tenant ?? '')}" autocomplete="off"></p>
      <fieldset><legend>Scopes of the token</legend>
        <ul>
        ${scopes}
        </ul>
      </fieldset>
      <p><label for="code">One-time code (printed by <code>npm start</code>)</label><br><input id="code" name="code" required autocomplete="one-time-code" spellcheck="false"></p>
      <p><button type="submit">Sign in</button></p>
    </form>`
    : '';
  const body = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>keyledger dev sign-in</title>
  <style nonce="${nonce}">
    body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1f2937; }
    .dev { background: #fde68a; color: #78350f; padding: 0.6rem 0.8rem; border-radius: 0.3rem; font-weight: 600; }
    .problem { background: #fef2f2; color: #991b1b; border: 1px solid #fecaca; padding: 0.5rem 0.7rem; }
    ul { list-style: none; padding: 0; columns: 2; }
    input[name=tenant], input[name=code] { font: inherit; padding: 0.3rem; width: 16rem; }
    button { font: inherit; padding: 0.35rem 1rem; }
  </style>
</head>
<body>
  <main>
    <h1>keyledger dev sign-in</h1>
    <p class="dev">DEVELOPMENT ONLY: the local stack's dev issuer mints a token for any tenant and scopes you choose. A deployment signs in with its OpenID Connect issuer instead.</p>
    ${input.problem ? `<p class="problem" role="alert">${escape(input.problem)}</p>` : ''}
    ${form}
  </main>
</body>
</html>
`;
  return {
    statusCode: input.status ?? 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': `default-src 'none'; style-src 'nonce-${nonce}'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`,
    },
    body,
  };
}
