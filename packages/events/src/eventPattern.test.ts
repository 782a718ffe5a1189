import { matchesPattern, parseEventPattern } from './eventPattern';

const event = {
  source: 'keyledger',
  'detail-type': 'kms_key_state_changed',
  detail: { tenant: 'acme', from: null, to: 'destroyed', kid: 'k-1', tags: ['a', 'b'], status: 204, nested: { x: 'y' } },
};

describe('EventBridge pattern matching', () => {
  it.each([
    [{ 'detail-type': ['kms_key_state_changed'], detail: { to: ['destroyed'] } }, true],
    [{ 'detail-type': ['kms_key_state_changed'], detail: { to: ['active'] } }, false],
    [{ 'detail-type': ['sapi', 'kms_key_state_changed'] }, true],
    [{ source: ['keyledger'], 'detail-type': ['sapi'] }, false],
    [{ detail: { from: [null] } }, true],
    [{ detail: { tags: ['b'] } }, true],
    [{ detail: { tags: ['c'] } }, false],
    [{ detail: { kid: [{ prefix: 'k-' }] } }, true],
    [{ detail: { kid: [{ suffix: '-2' }] } }, false],
    [{ detail: { tenant: [{ 'equals-ignore-case': 'ACME' }] } }, true],
    [{ detail: { to: [{ 'anything-but': ['active', 'deactivated'] }] } }, true],
    [{ detail: { to: [{ 'anything-but': 'destroyed' }] } }, false],
    [{ detail: { to: [{ 'anything-but': { prefix: 'dest' } }] } }, false],
    [{ detail: { reason: [{ exists: false }] } }, true],
    [{ detail: { reason: [{ exists: true }] } }, false],
    [{ detail: { status: [{ numeric: ['>=', 200, '<', 300] }] } }, true],
    [{ detail: { status: [{ numeric: ['>=', 400] }] } }, false],
    [{ detail: { nested: { x: ['y'] } } }, true],
    [{ detail: { missing: { x: ['y'] } } }, false],
    [{ detail: { missing: { x: [{ exists: false }] } } }, true],
    [{ detail: { status: ['204'] } }, false],
  ])('%j matches: %s', (pattern, expected) => {
    expect(matchesPattern(parseEventPattern(pattern), event)).toBe(expected);
  });

  it.each([
    [{}, 'at least one field'],
    [{ detail: { to: 'destroyed' } }, 'detail.to'],
    [{ detail: { to: [] } }, 'detail.to'],
    [{ detail: { to: [{ wildcard: 'x*' }] } }, 'detail.to'],
  ])('refuses the invalid pattern %j', (pattern, message) => {
    expect(() => parseEventPattern(pattern)).toThrow(message);
  });
});
