// The HTTP baseline of `npm run bench` (issue 18): a bare node:http server doing what an encrypt
// endpoint cannot avoid (read the JSON body, decode base64, AES-256-GCM with a fresh random IV,
// answer JSON with base64) and nothing else: no token, no routing, no validation, no audit.
// Run as its own process, like the local server, and measured with the same client.
import { createCipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { createServer } from 'node:http';

const key = randomBytes(32);
// IVs from a pooled CSPRNG buffer, as keyledger's RandomIvSource draws them.
const pool = Buffer.alloc(12 * 4096);
let offset = pool.length;
function nextIv() {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const iv = Buffer.from(pool.subarray(offset, offset + 12));
  offset += 12;
  return iv;
}

const server = createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    const { plaintext } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const iv = nextIv();
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([iv, cipher.update(Buffer.from(plaintext, 'base64')), cipher.final(), cipher.getAuthTag()]);
    const body = JSON.stringify({ ciphertext: ciphertext.toString('base64'), kid: 'bare' });
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    response.end(body);
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
