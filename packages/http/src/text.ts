/** In a `u` regular expression a valid surrogate pair is one code point: only lone halves match. */
const LONE_SURROGATE = /\p{Surrogate}/u;
// ignoreBOM: a BOM stays in the text (and JSON refuses it), as for a body that arrives as text.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Whether a string is valid Unicode text (no lone surrogate), so that its UTF-8 bytes say exactly what it says. */
export const isWellFormedText = (text: string): boolean => !LONE_SURROGATE.test(text);

/** The text of UTF-8 bytes, or undefined when they are not valid UTF-8 (never U+FFFD in place of bad bytes). */
export function decodeUtf8Strictly(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

interface Visit {
  value: unknown;
  parent: Visit | undefined;
  key: string | number | undefined;
}

/**
 * The path of the first key or string value with a lone surrogate in a parsed JSON value, or
 * undefined. Iterative, and each node is visited once, so deep or wide bodies cost linear time.
 */
export function findIllFormedText(root: unknown): Array<string | number> | undefined {
  const stack: Visit[] = [{ value: root, parent: undefined, key: undefined }];
  while (stack.length > 0) {
    const visit = stack.pop()!;
    const { value } = visit;
    if (typeof value === 'string') {
      if (!isWellFormedText(value)) return pathOf(visit);
    } else if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index -= 1) stack.push({ value: value[index], parent: visit, key: index });
    } else if (typeof value === 'object' && value !== null) {
      for (const key of Object.keys(value)) {
        if (!isWellFormedText(key)) return [...(pathOf(visit) ?? []), key];
        stack.push({ value: (value as Record<string, unknown>)[key], parent: visit, key });
      }
    }
  }
  return undefined;
}

function pathOf(visit: Visit): Array<string | number> {
  const path: Array<string | number> = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; at = at.parent) path.push(at.key);
  return path.reverse();
}

/** A path as a message shows it, with lone surrogates written as escapes. */
export function describePath(path: ReadonlyArray<string | number>): string {
  return path.map((part) => String(part).replace(/\p{Surrogate}/gu, (half) => `\\u${half.charCodeAt(0).toString(16)}`)).join('.');
}

/** Whether a raw query string's percent-encoding decodes to valid UTF-8 (`%ff`, or an encoded lone surrogate, would be read as U+FFFD). */
export function hasStrictPercentEncoding(rawQuery: string): boolean {
  for (const part of rawQuery.split('&')) {
    try {
      decodeURIComponent(part.replace(/\+/g, ' '));
    } catch {
      return false;
    }
  }
  return true;
}
