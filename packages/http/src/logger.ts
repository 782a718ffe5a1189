import type { Logger } from '@keyledger/domain';

/** One JSON object per line on stdout/stderr, as CloudWatch Logs and local terminals both read well. */
export function jsonLogger(base: Record<string, unknown> = {}, write: (line: string, level: string) => void = defaultWrite): Logger {
  const log = (level: string) => (message: string, details?: Record<string, unknown>) =>
    write(JSON.stringify({ level, time: new Date().toISOString(), message, ...base, ...details }), level);
  return { info: log('info'), warn: log('warn'), error: log('error') };
}

function defaultWrite(line: string, level: string): void {
  if (level === 'error' || level === 'warn') process.stderr.write(`${line}\n`);
  else process.stdout.write(`${line}\n`);
}
