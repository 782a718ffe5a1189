/** Counts the work a search does; throws once it spends more than its budget. */
export interface WorkMeter {
  spend(steps: number): void;
}

/** One piece of a wildcard term: literal text where `any[i]` marks a `?` (any one character). */
interface Segment {
  text: string;
  any: readonly boolean[];
}

/** A term with `*` (any run) and `?` (any one UTF-16 unit) wildcards, split at its `*`s. */
export interface Glob {
  /** The pieces between `*`s; the first is anchored at the start and the last at the end. */
  segments: readonly Segment[];
  /** Whether the term holds a `*` at all (else it must match the whole value, unit for unit). */
  star: boolean;
}

/** A term's characters, each either literal or a wildcard (an escaped `\*` is literal). */
export type GlobChar = { char: string; wildcard: boolean };

export function compileGlob(chars: readonly GlobChar[]): Glob {
  const segments: Segment[] = [];
  let text = '';
  let any: boolean[] = [];
  let star = false;
  for (const { char, wildcard } of chars) {
    if (wildcard && char === '*') {
      segments.push({ text, any });
      text = '';
      any = [];
      star = true;
      continue;
    }
    text += char;
    any.push(wildcard && char === '?');
  }
  segments.push({ text, any });
  return { segments, star };
}

/** Whether `segment` matches `value` at `at`; each character compared is one step. */
function matchesAt(segment: Segment, value: string, at: number, meter: WorkMeter): boolean {
  const { text, any } = segment;
  meter.spend(text.length || 1);
  for (let i = 0; i < text.length; i += 1) {
    if (!any[i] && text.charCodeAt(i) !== value.charCodeAt(at + i)) return false;
  }
  return true;
}

/**
 * Glob matching without backtracking: the first piece must match at the start, the last at the
 * end, and each piece between is taken at its leftmost match after the one before (leftmost
 * leaves the most room for the rest, so no other choice can succeed where it fails). The work is
 * at most value length × term length, and is charged to the meter.
 */
export function matchGlob(glob: Glob, value: string, meter: WorkMeter): boolean {
  const { segments } = glob;
  if (!glob.star) {
    const only = segments[0]!;
    return only.text.length === value.length && matchesAt(only, value, 0, meter);
  }
  const first = segments[0]!;
  const last = segments[segments.length - 1]!;
  if (first.text.length + last.text.length > value.length) return false;
  if (!matchesAt(first, value, 0, meter)) return false;
  const end = value.length - last.text.length;
  if (!matchesAt(last, value, end, meter)) return false;
  let at = first.text.length;
  for (let index = 1; index < segments.length - 1; index += 1) {
    const segment = segments[index]!;
    if (segment.text.length === 0) continue;
    let found = -1;
    for (let start = at; start + segment.text.length <= end; start += 1) {
      if (matchesAt(segment, value, start, meter)) {
        found = start;
        break;
      }
    }
    if (found < 0) return false;
    at = found + segment.text.length;
  }
  return true;
}
