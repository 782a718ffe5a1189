import { KeyledgerError } from '@keyledger/domain';

/** One access rule of a namespace (PUT /v1/secret-access-rules): who may read the values of the secrets it matches. */
export interface AccessRule {
  /** A glob over secret names: `*` is any run of characters (none included); nothing else is special. */
  match: string;
  read: { clients: string[]; subjects: string[] };
}

export const MAX_ACCESS_RULES = 100;
export const MAX_RULE_READERS = 100;
/** Secret-name characters and `*`: a glob is at most as long as a name (128) plus its stars. */
export const ACCESS_RULE_MATCH_PATTERN = /^[A-Za-z0-9_.*-]{1,256}$/;

/**
 * Whether `name` matches the glob: `*` matches any run of characters. Linear in practice and at
 * most |glob| × |name| steps (both bounded by the request schema), with no regular expression:
 * on a mismatch it backtracks only to the last star.
 */
export function globMatch(glob: string, name: string): boolean {
  let g = 0;
  let n = 0;
  let star = -1;
  let resume = 0;
  while (n < name.length) {
    if (g < glob.length && glob[g] !== '*' && glob[g] === name[n]) {
      g += 1;
      n += 1;
    } else if (g < glob.length && glob[g] === '*') {
      star = g;
      resume = n;
      g += 1;
    } else if (star !== -1) {
      g = star + 1;
      resume += 1;
      n = resume;
    } else {
      return false;
    }
  }
  while (g < glob.length && glob[g] === '*') g += 1;
  return g === glob.length;
}

/** The reader of a secret value, as its token names it. */
export interface SecretReader {
  clientId: string | null;
  subject: string | null;
}

/** A value read refused by the first rule matching its secret: 403, naming the rule. */
export class SecretAccessDeniedError extends KeyledgerError {
  readonly errorCode = 'secret_access_denied';

  constructor(message: string) {
    super('forbidden', message);
  }
}

/**
 * The first rule whose glob matches the name decides: the reader may read when its client is in
 * the rule's clients or its subject in the rule's subjects. No rule matching: no restriction
 * beyond the read:secrets scope.
 */
export function checkSecretRead(rules: readonly AccessRule[], namespace: string, name: string, reader: SecretReader): void {
  const index = rules.findIndex((rule) => globMatch(rule.match, name));
  if (index === -1) return;
  const rule = rules[index]!;
  if (reader.clientId !== null && rule.read.clients.includes(reader.clientId)) return;
  if (reader.subject !== null && rule.read.subjects.includes(reader.subject)) return;
  // The rule's readers are not named: a refused caller does not learn whom to impersonate.
  throw new SecretAccessDeniedError(
    `Secret access rule ${index + 1} ('${rule.match}') of the namespace '${namespace}' does not let this token read '${name}' (its client is ${reader.clientId === null ? 'not named' : `'${reader.clientId}'`}, its subject ${reader.subject === null ? 'not named' : `'${reader.subject}'`}).`,
  );
}
