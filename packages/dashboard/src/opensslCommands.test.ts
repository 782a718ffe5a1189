import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { opensslCommands, wrappedKeyFromFile } from './opensslCommands';

const README = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');

describe('the BYOK wizard’s openssl commands', () => {
  it('are the README’s, with the wrapping key’s OAEP hash filled in', () => {
    const block = /<!-- byok-openssl:start -->\n```bash\n([\s\S]*?)```\n<!-- byok-openssl:end -->/.exec(README)?.[1];
    expect(block).toBeDefined();
    expect(opensslCommands('sha256')).toBe(block!.replace('HASH=${HASH:-sha256}', 'HASH=sha256'));
    expect(opensslCommands('sha1').split('\n')[0]).toBe('HASH=sha1');
  });

  it('take the wrapped key as the base64 file they write, or as raw bytes', () => {
    expect(wrappedKeyFromFile(new TextEncoder().encode('QUJD\n'))).toBe('QUJD');
    expect(wrappedKeyFromFile(new Uint8Array([0, 255, 1]))).toBe('AP8B');
  });
});
