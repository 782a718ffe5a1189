import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Uint8ArrayBlobAdapter } from '@smithy/core/serde';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from './program';

const lambda = mockClient(LambdaClient);
const payload = (value: unknown) => Uint8ArrayBlobAdapter.fromString(JSON.stringify(value));
const asJson = (bytes: Uint8Array | undefined) => JSON.parse(Buffer.from(bytes!).toString('utf8')) as unknown;

async function run(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (text) => void (out += text), err: (text) => void (err += text), env: {}, lambda: () => new LambdaClient({ region: 'eu-west-1' }) });
  return { code, out, err };
}

describe('keyledger backup reapply-ledger (AWS, after a table restore)', () => {
  beforeEach(() => lambda.reset());

  it('hands every page the reader function signs to the re-apply function, in order, and prints what was destroyed again', async () => {
    const first = { page: { entries: [{ kind: 'key', tenant: 'acme', kid: 'k1' }], next: { keyMarker: 'destructions/acme/000000000002.json', versionIdMarker: 'v1' } }, mac: 'bWFjMQ==' };
    const second = { page: { entries: [{ kind: 'tenant', tenant: 'beta' }] }, mac: 'bWFjMg==' };
    lambda.on(InvokeCommand, { FunctionName: 'keyledger-prod-destruction-ledger-read' }).resolvesOnce({ StatusCode: 200, Payload: payload(first) }).resolvesOnce({ StatusCode: 200, Payload: payload(second) });
    lambda
      .on(InvokeCommand, { FunctionName: 'keyledger-prod-ledger-reapply' })
      .resolvesOnce({ StatusCode: 200, Payload: payload({ entries: 1, reapplied: [{ tenant: 'acme', keys: ['k1'], shredded: false, rekeys: 1 }] }) })
      .resolvesOnce({ StatusCode: 200, Payload: payload({ entries: 1, skipped: ['destructions/beta/000000000009.json@v7'], reapplied: [] }) });

    const { code, out } = await run(['backup', 'reapply-ledger', '--stage', 'prod']);

    expect(code).toBe(0);
    const calls = lambda.commandCalls(InvokeCommand).map((call) => ({ ...call.args[0].input, Payload: asJson(call.args[0].input.Payload as Uint8Array) }));
    expect(calls).toEqual([
      { FunctionName: 'keyledger-prod-destruction-ledger-read', InvocationType: 'RequestResponse', Payload: {} },
      { FunctionName: 'keyledger-prod-ledger-reapply', InvocationType: 'RequestResponse', Payload: first },
      { FunctionName: 'keyledger-prod-destruction-ledger-read', InvocationType: 'RequestResponse', Payload: { cursor: first.page.next } },
      { FunctionName: 'keyledger-prod-ledger-reapply', InvocationType: 'RequestResponse', Payload: second },
    ]);
    expect(out).toContain('re-applied  tenant acme: 1 key destroyed again, 1 rekey');
    expect(out).toContain('destruction ledger: 2 entries in 2 pages; 1 tenant held destroyed keys and has been put right');
    expect(out).toContain('WARN  destructions/beta/000000000009.json@v7 is not a ledger object: skipped');
  });

  it('stops at a function error, naming the function and its message', async () => {
    lambda.on(InvokeCommand, { FunctionName: 'keyledger-prod-destruction-ledger-read' }).resolves({ StatusCode: 200, Payload: payload({ page: { entries: [] }, mac: 'eA==' }) });
    lambda.on(InvokeCommand, { FunctionName: 'keyledger-prod-ledger-reapply' }).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: payload({ errorType: 'Error', errorMessage: 'This Region (eu-central-1) serves reads only: re-apply the destruction ledger in the write Region, eu-west-1.' }),
    });
    const { code, err, out } = await run(['backup', 'reapply-ledger', '--stage', 'prod']);
    expect(code).not.toBe(0);
    expect(err).toContain('keyledger-prod-ledger-reapply failed: This Region (eu-central-1) serves reads only');
    expect(out).not.toContain('ok:');
  });

  it('rebuild-ledger pages through the Events table with the rebuild function, from a time when given', async () => {
    const cursor = { stream_id: { S: 'tenant/acme' }, version: { N: '4' } };
    lambda
      .on(InvokeCommand, { FunctionName: 'keyledger-prod-destruction-ledger-rebuild' })
      .resolvesOnce({ StatusCode: 200, Payload: payload({ scanned: 500, recorded: 3, next: cursor }) })
      .resolvesOnce({ StatusCode: 200, Payload: payload({ scanned: 20, recorded: 1, next: null }) });
    const { code, out } = await run(['backup', 'rebuild-ledger', '--stage', 'prod', '--since', '2026-12-01T10:00:00Z']);
    expect(code).toBe(0);
    expect(lambda.commandCalls(InvokeCommand).map((call) => ({ ...call.args[0].input, Payload: asJson(call.args[0].input.Payload as Uint8Array) }))).toEqual([
      { FunctionName: 'keyledger-prod-destruction-ledger-rebuild', InvocationType: 'RequestResponse', Payload: { cursor: null, since: '2026-12-01T10:00:00.000Z' } },
      { FunctionName: 'keyledger-prod-destruction-ledger-rebuild', InvocationType: 'RequestResponse', Payload: { cursor, since: '2026-12-01T10:00:00.000Z' } },
    ]);
    expect(out).toContain('destruction ledger rebuilt: 520 commits read, 4 destroying commits written');
    expect((await run(['backup', 'rebuild-ledger', '--stage', 'prod', '--since', 'yesterday'])).err).toContain("--since: 'yesterday' is not an ISO 8601 instant");
  });
});
