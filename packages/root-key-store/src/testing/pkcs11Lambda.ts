import { Pkcs11RootKeyStore } from '../pkcs11';
import { createSoftHsmToken, processSoftHsmConf, SOFTHSM_LIBRARY, type SoftHsmToken } from './softHsm';

/**
 * For a describe block whose code under test opens Pkcs11RootKeyStores itself (a Lambda's
 * set-up): a fresh SoftHSM token made before the block's tests, and every store opened in the
 * block closed after them, then the token removed. SoftHSM2 stays initialized in the jest worker
 * otherwise, and the next test file to load it there gets CKR_CRYPTOKI_ALREADY_INITIALIZED.
 */
export function useSoftHsmForStores(): { token: () => SoftHsmToken; createRootKey: () => Promise<void> } {
  let token: SoftHsmToken | undefined;
  const opened: Pkcs11RootKeyStore[] = [];
  const open = Pkcs11RootKeyStore.open.bind(Pkcs11RootKeyStore);
  const spy = jest.spyOn(Pkcs11RootKeyStore, 'open').mockImplementation(async (options) => {
    const store = await open(options);
    opened.push(store);
    return store;
  });
  beforeAll(() => {
    token = createSoftHsmToken({ conf: processSoftHsmConf() });
  });
  afterAll(() => {
    for (const store of opened) store.close();
    spy.mockRestore();
    token?.remove();
  });
  const current = () => {
    if (!token) throw new Error('The SoftHSM token is made in beforeAll: use it inside a test or hook.');
    return token;
  };
  return {
    token: current,
    /** The operator's one-time step: open the token once, which creates the environment root key in it. */
    createRootKey: () => open({ library: SOFTHSM_LIBRARY, tokenLabel: current().label, pin: current().pin }).then((store) => store.close()),
  };
}
