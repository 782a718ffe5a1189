// The HTTP baseline of `npm run bench` (issue 18): a bare node:http server doing what an encrypt
// endpoint cannot avoid (read the JSON body, decode base64, AES-256-GCM with a fresh random IV,
// answer JSON with base64) and nothing else: no token, no routing, no validation, no audit.
// Run as its own process, like the local server, and measured with the same client.
//
// `node bareServer.mjs PORT [EXTRA_MICROS] [PROCESSES]`: the bench's headroom rows also run it
// with a fixed amount of extra busy work per request (what any check costs), in one process or
// in several behind node:cluster, to show what the machine leaves for a server that does more.
import cluster from 'node:cluster';
import { createCipheriv, randomBytes, randomFillSync } from 'node:crypto';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

const port = Number(process.argv[2] ?? 0);
const extraMicros = Number(process.argv[3] ?? 0);
const processes = Number(process.argv[4] ?? 1);

if (processes > 1 && cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < processes; i += 1) {
    cluster.fork().on('listening', (address) => {
      listening += 1;
      if (listening === processes) process.stdout.write(`listening ${address.port}\n`);
    });
  }
  process.on('SIGTERM', () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  serve();
}

function serve() {
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
      if (extraMicros > 0) {
        const until = performance.now() + extraMicros / 1000;
        while (performance.now() < until);
      }
      const { plaintext } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const iv = nextIv();
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ciphertext = Buffer.concat([iv, cipher.update(Buffer.from(plaintext, 'base64')), cipher.final(), cipher.getAuthTag()]);
      const body = JSON.stringify({ ciphertext: ciphertext.toString('base64'), kid: 'bare' });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  // In a cluster's worker, port 0 is the primary's one shared port.
  server.listen(port, '127.0.0.1', () => {
    if (cluster.isPrimary) process.stdout.write(`listening ${server.address().port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
