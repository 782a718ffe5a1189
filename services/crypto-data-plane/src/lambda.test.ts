const valid = {
  AWS_REGION: 'eu-west-1',
  KEYLEDGER_EVENTS_TABLE: 'test-Events',
  KEYLEDGER_SNAPSHOTS_TABLE: 'test-Snapshots',
  KEYLEDGER_KEY_MATERIAL_TABLE: 'test-KeyMaterial',
  KEYLEDGER_SECRETS_TABLE: 'test-Secrets',
  KEYLEDGER_ROOT_KEY_ARN: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};

// The module builds its `handler` from process.env when loaded, as Lambda does: load it with a valid one.
const savedEnv = { ...process.env };
Object.assign(process.env, valid);
afterAll(() => {
  for (const name of Object.keys(valid)) delete process.env[name];
  Object.assign(process.env, savedEnv);
});
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createCryptoDataPlaneLambda } = require('./lambda') as typeof import('./lambda');

describe('crypto-data-plane Lambda configuration', () => {
  it('builds a handler from a valid environment', () => {
    expect(typeof createCryptoDataPlaneLambda(valid)).toBe('function');
  });

  it('fails fast naming a missing or bad setting', () => {
    const { KEYLEDGER_SECRETS_TABLE: _missing, ...withoutSecrets } = valid;
    expect(() => createCryptoDataPlaneLambda(withoutSecrets)).toThrow(/KEYLEDGER_SECRETS_TABLE/);
    expect(() => createCryptoDataPlaneLambda({ ...valid, KEYLEDGER_DATA_KEY_MAX_MESSAGES: String(2 ** 33) })).toThrow(
      /KEYLEDGER_DATA_KEY_MAX_MESSAGES: must be at most 4294967296/,
    );
    expect(() => createCryptoDataPlaneLambda({ ...valid, KEYLEDGER_KEY_STATE_TTL_MS: 'soon' })).toThrow(/KEYLEDGER_KEY_STATE_TTL_MS/);
  });
});
