import { appendFile, readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { Logger } from '@keyledger/domain';
import { parseEventPattern, type BusEvent, type InProcessBus } from '@keyledger/events';
import * as z from 'zod';

/**
 * Local rules, the stand-in for EventBridge rules and targets: each matching event is appended
 * as one JSON line to a file, or POSTed as JSON to a URL (a webhook; a non-2xx answer is a
 * failed delivery, retried by the outbox).
 */
const ruleSchema = z.strictObject({
  name: z.string().regex(/^[\w.-]{1,64}$/, 'name: letters, digits, . _ - (at most 64)'),
  event_pattern: z.unknown(),
  target: z.union([z.strictObject({ file: z.string().min(1) }), z.strictObject({ url: z.url() })]),
});
const rulesSchema = z.array(ruleSchema);
export type LocalRule = z.output<typeof ruleSchema>;

export async function loadEventRules(path: string): Promise<LocalRule[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new Error(`KEYLEDGER_EVENT_RULES: cannot read ${path} as JSON (${(error as Error).message}).`, { cause: error });
  }
  const parsed = rulesSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`KEYLEDGER_EVENT_RULES: rule ${issue.path.join('.')}: ${issue.message}`);
  }
  for (const rule of parsed.data) {
    try {
      parseEventPattern(rule.event_pattern);
    } catch (error) {
      throw new Error(`KEYLEDGER_EVENT_RULES: rule ${rule.name}: ${(error as Error).message}`, { cause: error });
    }
  }
  const base = dirname(resolve(path));
  return parsed.data.map((rule) =>
    'file' in rule.target && !isAbsolute(rule.target.file) ? { ...rule, target: { file: resolve(base, rule.target.file) } } : rule,
  );
}

export function subscribeRules(bus: InProcessBus, rules: readonly LocalRule[], logger: Logger): void {
  for (const rule of rules) {
    const deliver =
      'file' in rule.target
        ? fileTarget(rule.target.file)
        : urlTarget(rule.target.url);
    bus.subscribe(`rule:${rule.name}`, parseEventPattern(rule.event_pattern), deliver);
    logger.info('local event rule active', { rule: rule.name, target: 'file' in rule.target ? 'file' : 'url' });
  }
}

function fileTarget(file: string) {
  return async (event: BusEvent) => {
    await appendFile(file, `${JSON.stringify(event)}\n`, { mode: 0o600 });
  };
}

function urlTarget(url: string) {
  return async (event: BusEvent) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  };
}
