/**
 * The dashboard in a real Chromium against `npm start`'s server: dev sign-in with the printed
 * one-time code, the hierarchy of the signed-in tenant only, rekey, the BYOK wizard with key
 * material wrapped by openssl and uploaded as a file, the audit timeline and its chain badge
 * (intact, then broken by an entry edited in dynalite), secrets, time travel, and axe on every view.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, findChromium, launchChromium, screenshot } from '../support/browser';
import { eventually, freePort, runCli, stackEnv, startServer, type ServerProcess } from '../support/localProcess';

jest.setTimeout(120_000);

interface Key {
  kid: string;
  type: string;
  state: string;
  parent_kid: string | null;
  created_at: string;
  updated_at: string;
}

const TENANT = 'dash-acme';
const chromiumPath = findChromium();
const describeInBrowser = chromiumPath ? describe : describe.skip;

let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: ServerProcess;
let dynamoPort: number;
let browser: Browser;
let page: Page;
let token: string;
const cspViolations: string[] = [];

async function api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
const listing = () => api<Key[]>('/api/v2/keys/encryption?per_page=100');
const shownKeys = async () =>
  page.locator('[data-kid]').evaluateAll((items) => items.map((item) => `${item.getAttribute('data-kid')} ${item.getAttribute('data-state')}`).sort());
const asShown = (keys: Key[]) => keys.map((key) => `${key.kid} ${key.state}`).sort();

async function expectAccessible(name: string) {
  expect(await accessibilityProblems(page)).toEqual([]);
  await screenshot(page, name);
}

describeInBrowser('dashboard in Chromium', () => {
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyledger-dashboard-'));
    dynamoPort = await freePort();
    env = { ...stackEnv(await freePort(), dataDir), KEYLEDGER_DYNAMODB_PORT: String(dynamoPort), KEYLEDGER_OUTBOX_POLL_MS: '200', KEYLEDGER_USAGE_FLUSH_INTERVAL: 'PT1S' };
    server = await startServer(env);
    token = (await runCli(['token', '--tenant', TENANT, '--scope', 'read:encryption_keys read:logs create:secrets read:secrets update:secrets', '--client-id', 'svc-orders'], env)).stdout.trim();
    browser = await launchChromium(chromiumPath!);
    // axe-core/playwright opens a page of its own in the context: a context, not browser.newPage().
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  afterEach(() => expect(cspViolations).toEqual([]));

  it('npm start prints the dashboard URL; signing in with the one-time code shows this tenant’s hierarchy, and only it', async () => {
    const printed = /dashboard:\s+(http:\/\/127\.0\.0\.1:\d+\/)\s+\(dev sign-in code: ([A-Z0-9-]+),/.exec(server.output());
    expect(printed?.[1]).toBe(`${server.url}/`);
    // Another tenant's keys exist; they must not show.
    const otherToken = (await runCli(['token', '--tenant', 'dash-other', '--scope', 'read:encryption_keys'], env)).stdout.trim();
    const other = (await (await fetch(`${server.url}/api/v2/keys/encryption`, { headers: { authorization: `Bearer ${otherToken}` } })).json()) as Key[];

    await page.goto(printed![1]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/dev\/authorize/);
    await expectAccessible('sign-in');
    await page.getByLabel('Tenant', { exact: true }).fill(TENANT);
    await page.getByLabel(/One-time code/).fill(printed![2]!);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('[data-type="tenant-master-key"]').first().waitFor();

    expect(await shownKeys()).toEqual(asShown(await listing()));
    const shownKids = await page.locator('[data-kid]').evaluateAll((items) => items.map((item) => item.getAttribute('data-kid')));
    for (const key of other.filter((key) => key.type !== 'environment-root-key')) expect(shownKids).not.toContain(key.kid);
    // The token lives in memory only.
    expect(await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }))).toBe('{}{}');
    await expectAccessible('keys');
  });

  let beforeRekey: { keys: Key[]; at: string };
  it('rekeys after a confirmation that says what will happen, and shows the new TMK', async () => {
    beforeRekey = { keys: await listing(), at: new Date().toISOString() };
    const oldTmk = beforeRekey.keys.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!;
    await page.getByRole('button', { name: 'Rekey…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rekey this tenant?' });
    await expect(dialog.textContent()).resolves.toMatch(/new tenant master key.*deactivated.*destroyed/s);
    await expectAccessible('rekey-confirmation');
    await dialog.getByRole('button', { name: 'Rekey now' }).click();
    await page.locator(`[data-kid="${oldTmk.kid}"][data-state="destroyed"]`).waitFor();
    const after = await listing();
    const newTmk = after.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!;
    expect(newTmk.kid).not.toBe(oldTmk.kid);
    await page.locator(`[data-kid="${newTmk.kid}"][data-state="active"]`).waitFor();
    expect(await shownKeys()).toEqual(asShown(after));
  });

  it('runs the BYOK wizard with key material wrapped by openssl and uploaded as a file; a refusal shows its message', async () => {
    await page.getByRole('link', { name: 'Bring your own key' }).click();
    await page.getByRole('button', { name: 'Create CPRK' }).click();
    await page.getByRole('button', { name: 'Get wrapping key' }).click();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download wrapping.pem' }).click();
    const work = await mkdtemp(join(tmpdir(), 'keyledger-byok-'));
    try {
      await (await download).saveAs(join(work, 'wrapping.pem'));
      const commands = await page.getByTestId('openssl-commands').textContent();
      expect(commands).toContain('HASH=sha256');
      await expectAccessible('byok');
      await writeFile(join(work, 'wrap.sh'), commands!);
      await promisify(execFile)('bash', ['-euo', 'pipefail', 'wrap.sh'], { cwd: work });
      // A refusal of the API shows its message, and changes nothing.
      await writeFile(join(work, 'short.b64'), 'AAAA');
      await page.getByLabel(/Wrapped key file/).setInputFiles(join(work, 'short.b64'));
      await page.getByRole('button', { name: 'Import' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toMatch(/^400 Bad Request: .*wrapped/i);
      await page.getByLabel(/Wrapped key file/).setInputFiles(join(work, 'wrapped.b64'));
      await page.getByRole('button', { name: 'Import' }).click();
      const active = page.getByTestId('byok-active');
      await active.waitFor();
      const keys = await listing();
      const cprk = keys.find((key) => key.type === 'customer-provided-root-key')!;
      const tmk = keys.find((key) => key.type === 'tenant-master-key' && key.state === 'active')!;
      expect(cprk.state).toBe('active');
      expect(tmk.parent_kid).toBe(cprk.kid);
      await expect(active.textContent()).resolves.toContain(`wraps the tenant master key ${tmk.kid}.`);
      await expectAccessible('byok-active');
    } finally {
      await rm(work, { recursive: true, force: true });
    }
  });

  it('shows the audit timeline of those actions with an intact badge, filters it by type, date and search, then shows broken after an entry is edited in dynalite', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    const badge = page.getByTestId('chain-badge');
    await badge.waitFor();
    await expect(badge.getAttribute('data-chain')).resolves.toBe('intact');
    const descriptions = await page.locator('.timeline summary').allTextContents();
    expect(descriptions.join('\n')).toMatch(/rekey/i);
    expect(descriptions.join('\n')).toMatch(/customer-provided-root-key/);
    await page.locator('.timeline summary').first().click();
    await expectAccessible('audit');

    await page.getByLabel('Type').selectOption('kms_key_state_changed');
    await page.getByRole('button', { name: 'Search' }).click();
    // (waitForFunction with a string would be eval, which the dashboard's CSP refuses.)
    const types = () => page.locator('.timeline [data-type]').evaluateAll((items) => [...new Set(items.map((item) => item.getAttribute('data-type')))]);
    for (let tries = 0; JSON.stringify(await types()) !== '["kms_key_state_changed"]'; tries += 1) {
      if (tries > 100) throw new Error(`the type filter did not apply: ${JSON.stringify(await types())}`);
      await page.waitForTimeout(50);
    }

    // Dates (today, a whole UTC day) and free search terms narrow it further.
    const today = new Date().toISOString().slice(0, 10);
    await page.getByLabel('From').fill(today);
    await page.getByLabel('To').fill(today);
    await page.getByLabel('Search').fill('*cprk-import*');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('1 entry', { exact: true }).waitFor();
    await expect(page.locator('.timeline summary').textContent()).resolves.toContain('changed from pre-activation to active (cprk-import)');

    const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${dynamoPort}`, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const key = { tenant: { S: TENANT }, entry_key: { S: `log#${String(2).padStart(20, '0')}` } };
    const { Item: original } = await client.send(new GetItemCommand({ TableName: 'keyledger-local-AuditLog', Key: key }));
    const entry = JSON.parse(original!['entry']!.S!) as { log_id: string };
    await client.send(new PutItemCommand({ TableName: 'keyledger-local-AuditLog', Item: { ...original!, entry: { S: JSON.stringify({ ...entry, description: 'nothing happened' }) } } }));
    client.destroy();
    await page.getByRole('button', { name: 'Verify again' }).click();
    await page.locator('[data-chain="broken"]').waitFor();
    await expect(badge.textContent()).resolves.toContain(`Chain broken at entry ${entry.log_id} (sequence 2)`);
    await expectAccessible('audit-broken');
  });

  it('lists secrets with versions, dates, rotation schedules and readers, reveals a value only on request, rotates and deletes after confirmations', async () => {
    await api('/v1/secrets/db.password', { method: 'PUT', body: { value: 'hunter2' } });
    await api('/v1/secrets/db.password/rotation', { method: 'PUT', body: { period: 'P30D' } });
    await api('/v1/secrets/db.password');
    await page.getByRole('link', { name: 'Secrets' }).click();
    const row = page.locator('[data-secret="db.password"]');
    await row.waitFor();
    expect(await page.content()).not.toContain('hunter2');
    await expect(row.locator('[data-rotation]').textContent()).resolves.toMatch(/^every P30D; last never, next /);
    // The read above, once its count is flushed (KEYLEDGER_USAGE_FLUSH_INTERVAL).
    await eventually(async () => ((await api<{ usage: unknown[] }>('/v1/secrets/db.password/usage')).usage.length === 1 ? true : undefined), 'the read in the usage');
    await row.getByRole('button', { name: 'Show reads' }).click();
    await expect(row.locator('.usage').textContent()).resolves.toMatch(/^v1: 1 by svc-orders, last /);
    await row.getByRole('button', { name: 'Show versions' }).click();
    await row.getByRole('button', { name: 'Reveal v1' }).click();
    await expect(row.locator('.secret-value').textContent()).resolves.toBe('hunter2');
    await expectAccessible('secrets');

    await row.getByRole('button', { name: 'Rotate…' }).click();
    await page.getByRole('dialog', { name: 'Rotate db.password?' }).getByRole('button', { name: 'Rotate' }).click();
    const notice = page.getByRole('status').filter({ hasText: 'is now at version 2' });
    await notice.waitFor();
    const rotated = await notice.locator('.secret-value').textContent();
    expect((await api<{ value: string }>('/v1/secrets/db.password')).value).toBe(rotated);

    await page.locator('[data-secret="db.password"]').getByRole('button', { name: 'Delete…' }).click();
    await page.getByRole('dialog', { name: 'Delete db.password?' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByText('No secrets in namespace secrets.').waitFor();
    await expect(fetch(`${server.url}/v1/secrets/db.password`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.status)).resolves.toBe(404);
  });

  it('shows what a token may not do disabled, naming the missing scope', async () => {
    // Each sign-in uses up its code; npm start prints the next one.
    const codes = [...server.output().matchAll(/dashboard sign-in code \(one use; [^)]*\): ([A-Z0-9-]+)/g)];
    const code = codes.at(-1)![1]!;
    const reader = await page.context().browser()!.newContext({ viewport: { width: 1280, height: 900 } });
    const readOnly = await reader.newPage();
    await readOnly.goto(`${server.url}/`);
    await readOnly.getByRole('button', { name: 'Sign in' }).click();
    await readOnly.getByLabel('Tenant', { exact: true }).fill(TENANT);
    for (const box of await readOnly.getByRole('checkbox').all()) {
      if ((await box.getAttribute('value')) !== 'read:encryption_keys') await box.uncheck();
    }
    await readOnly.getByLabel(/One-time code/).fill(code);
    await readOnly.getByRole('button', { name: 'Sign in' }).click();
    await readOnly.locator('[data-type="tenant-master-key"]').first().waitFor();
    await expect(readOnly.getByRole('button', { name: 'Rekey…' }).isDisabled()).resolves.toBe(true);
    await expect(readOnly.locator('.missing-scope').first().textContent()).resolves.toBe('needs create:encryption_keys and update:encryption_keys');
    await readOnly.getByRole('link', { name: 'Audit log' }).click();
    await readOnly.getByText('The audit log needs read:logs.').waitFor();
    await readOnly.getByRole('link', { name: 'Bring your own key' }).click();
    await expect(readOnly.getByRole('button', { name: 'Delete CPRK…' }).isDisabled()).resolves.toBe(true);
    expect(await accessibilityProblems(readOnly)).toEqual([]);
    await reader.close();
  });

  it('time travel: the slider shows the hierarchy as the listing showed it before the rekey, as GET /v1/keys/as-of does', async () => {
    const asOf = await api<Key[]>(`/v1/keys/as-of?at=${encodeURIComponent(beforeRekey.at)}&per_page=100`);
    expect(asOf).toEqual(beforeRekey.keys);

    await page.getByRole('link', { name: 'Keys' }).click();
    await page.locator('[data-type="customer-provided-root-key"]').first().waitFor();
    await screenshot(page, 'keys-after-rekey-and-byok');
    // The slider's stops are the listing's change instants; the last one at or before the saved time.
    const now = await listing();
    const instants = [...new Set(now.flatMap((key) => [key.created_at, key.updated_at]))].sort();
    const stop = instants.filter((instant) => instant <= beforeRekey.at).length - 1;
    await page.getByLabel(/Time travel/).fill(String(stop));
    await page.getByTestId('key-summary').filter({ hasText: 'as of' }).waitFor();
    expect(await shownKeys()).toEqual(asShown(beforeRekey.keys));
    await expectAccessible('time-travel');
  });

  it('refuses the dev sign-in form posted by another site (it cannot even spend a try)', async () => {
    const attacker = await page.context().newPage();
    await attacker.setContent(
      `<form method="post" action="${server.url}/dev/authorize"><input name="client_id" value="keyledger-dashboard"><input name="code" value="AAAA-AAAA"><button>go</button></form>`,
    );
    const answer = attacker.waitForResponse(`${server.url}/dev/authorize`);
    await attacker.getByRole('button', { name: 'go' }).click();
    expect((await answer).status()).toBe(403);
    await attacker.close();
  });

  it('the accessibility check itself finds serious violations on a page that has them', async () => {
    const scratch = await page.context().newPage();
    await scratch.setContent('<html><body><img src="data:image/png;base64,iVBORw0KGgo="><input type="text"><button></button></body></html>');
    const problems = await accessibilityProblems(scratch);
    await scratch.close();
    expect(problems.join('\n')).toMatch(/image-alt|label|button-name/);
  });
});
