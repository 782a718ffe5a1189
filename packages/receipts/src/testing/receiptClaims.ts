import type { DestructionReceiptClaims } from '../payload';

/** The claims of an executed retirement, for tests. */
export const claims = (requestId = 'dr_1'): DestructionReceiptClaims => ({
  request_id: requestId,
  tenant: 'acme',
  action: 'retire_key',
  keys: [{ kid: 'nk_1', type: 'namespace-key', fingerprint: '00112233445566778899aabbccddeeff', state_before: 'deactivated' }],
  requested_by: { sub: 'alice', client_id: null },
  requested_at: '2026-01-01T00:00:00.000Z',
  approved_by: [{ sub: 'bob', at: '2026-01-01T01:00:00.000Z' }],
  required_approvals: 1,
  scheduled_for: '2026-01-02T00:00:00.000Z',
  executed_at: '2026-01-02T00:00:05.000Z',
  audit_chain_head: { seq: 42, hash: 'ab'.repeat(32) },
  root_key_store_operations: [],
  deleted: { key_material: 1, secret_versions: 3 },
});
