// A separate process for the Encryption SDK tests (test/e2e/clientSdk.e2e.test.ts): decrypts
// Encryption SDK messages with a fresh KeyledgerKeyring, as a service would after a restart.
// Reads {"url", "token", "messages": [base64]} on stdin; writes one JSON line per message:
// {"plaintext", "context", "providers"} or {"error"}.
import { buildClient, CommitmentPolicy } from '@aws-crypto/client-node';
import { KeyledgerClient } from '@keyledger/client';
import { KeyledgerKeyring } from '@keyledger/client/encryption-sdk';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { url, token, messages } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const { decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
const keyring = new KeyledgerKeyring({ client: new KeyledgerClient({ baseUrl: url, token }), namespace: 'default' });
for (const message of messages) {
  try {
    const { plaintext, messageHeader } = await decrypt(keyring, Buffer.from(message, 'base64'));
    const providers = messageHeader.encryptedDataKeys.map(({ providerId, providerInfo }) => ({ providerId, providerInfo }));
    process.stdout.write(`${JSON.stringify({ plaintext: plaintext.toString('utf8'), context: messageHeader.encryptionContext, providers })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: error.message })}\n`);
  }
}
