import { IllegalKeyStateError } from './errors';
import { assertTransition, assertUsable, canTransition, canUse, KEY_STATES, type KeyState } from './keys';

const ALLOWED: Array<[KeyState, KeyState]> = [
  ['pre-activation', 'active'],
  ['pre-activation', 'destroyed'],
  ['active', 'deactivated'],
  ['active', 'destroyed'],
  ['deactivated', 'destroyed'],
];
const isAllowed = (from: KeyState, to: KeyState) => ALLOWED.some(([f, t]) => f === from && t === to);
const ALL_PAIRS = KEY_STATES.flatMap((from) => KEY_STATES.map((to) => [from, to] as [KeyState, KeyState]));

describe('key state transitions', () => {
  it.each(ALL_PAIRS.filter(([from, to]) => isAllowed(from, to)))('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition({ kid: 'k1', state: from }, to)).not.toThrow();
  });

  it.each(ALL_PAIRS.filter(([from, to]) => !isAllowed(from, to)))('refuses %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
    expect(() => assertTransition({ kid: 'k1', state: from }, to)).toThrow(IllegalKeyStateError);
    expect(() => assertTransition({ kid: 'k1', state: from }, to)).toThrow(`Key k1 cannot go from '${from}' to '${to}'.`);
  });

  it('makes destroyed final', () => {
    expect(KEY_STATES.filter((to) => canTransition('destroyed', to))).toEqual([]);
  });
});

describe('key use by state', () => {
  it.each([
    ['pre-activation', false, false],
    ['active', true, true],
    ['deactivated', false, true],
    ['destroyed', false, false],
  ] as Array<[KeyState, boolean, boolean]>)('%s: encrypt %s, decrypt %s', (state, encrypts, decrypts) => {
    expect(canUse(state, 'encrypt')).toBe(encrypts);
    expect(canUse(state, 'decrypt')).toBe(decrypts);
    const check = (use: 'encrypt' | 'decrypt') => () => assertUsable({ kid: 'k1', state }, use);
    if (encrypts) expect(check('encrypt')).not.toThrow();
    else expect(check('encrypt')).toThrow(IllegalKeyStateError);
    if (decrypts) expect(check('decrypt')).not.toThrow();
    else expect(check('decrypt')).toThrow(IllegalKeyStateError);
  });
});
