import { readFile, writeFile } from 'node:fs/promises';
import { CloudHSMV2Client } from '@aws-sdk/client-cloudhsm-v2';
import { OAEP_HASHES, parseRsaPublicKey, rsaAesKeyWrap, type OaepHash } from '@keyledger/crypto';
import type { EncryptionKeyView, WrappingKeyView } from '@keyledger/key-admin';
import { checkCloudHsmCluster } from '@keyledger/root-key-store';
import { readSettings } from '@keyledger/settings';
import { Option, type Command } from 'commander';
import type { ApiClient } from './apiClient';

type ApiOptions = { url: string; token?: string; json?: boolean };

export interface ByokCommandDeps {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
  withApi: (command: Command) => Command;
  client: (options: ApiOptions) => ApiClient;
  keyTable: (keys: EncryptionKeyView[]) => string;
}

const hashOption = () => new Option('--hash <hash>', 'OAEP and MGF1 hash of CKM_RSA_AES_KEY_WRAP').choices([...OAEP_HASHES]);
const keyPath = (kid: string) => `/api/v2/keys/encryption/${encodeURIComponent(kid)}`;

/** `keyledger keys create-cprk|wrapping-key|import|delete` and `keyledger byok wrap`. */
export function addByokCommands(program: Command, keys: Command, deps: ByokCommandDeps): void {
  const { out, withApi, client } = deps;

  withApi(keys.command('create-cprk').description('Create a customer-provided root key (pre-activation) for BYOK.')).action(
    async (options: ApiOptions) => {
      const key = await client(options).request<EncryptionKeyView>('POST', '/api/v2/keys/encryption', { type: 'customer-provided-root-key' });
      out(options.json ? `${JSON.stringify(key, null, 2)}\n` : `${deps.keyTable([key])}\nNext: keyledger keys wrapping-key ${key.kid} --out wrapping.pem\n`);
    },
  );

  withApi(keys.command('wrapping-key').description("Get a CPRK's one-time RSA-3072 wrapping key (valid 24 h, one import).").argument('<kid>', 'the CPRK'))
    .addOption(hashOption())
    .option('--out <file>', 'write the PEM public key here (default: print it)')
    .action(async (kid: string, options: ApiOptions & { hash?: OaepHash; out?: string }) => {
      const body = options.hash ? { oaep_hash: options.hash } : undefined;
      const view = await client(options).request<WrappingKeyView>('POST', `${keyPath(kid)}/wrapping-key`, body);
      if (options.out) await writeFile(options.out, view.public_key);
      if (options.json) {
        out(`${JSON.stringify(view, null, 2)}\n`);
        return;
      }
      if (!options.out) out(view.public_key);
      out(
        `${options.out ? `Wrapping key written to ${options.out}. ` : ''}Algorithm ${view.algorithm}, OAEP ${view.oaep_hash} (MGF1 ${view.oaep_hash}), expires ${view.expires_at}.\n` +
          `Next: wrap 256-bit key material with it (keyledger byok wrap --hash ${view.oaep_hash}, or openssl), then keyledger keys import ${kid}.\n`,
      );
    });

  withApi(keys.command('import').description('Import wrapped key material: the CPRK becomes active and wraps the TMK.').argument('<kid>', 'the CPRK'))
    .addOption(new Option('--wrapped-key <base64>', 'the wrapped key, base64').conflicts('wrappedKeyFile'))
    .option('--wrapped-key-file <file>', 'the wrapped key, raw bytes (e.g. from openssl)')
    .action(async (kid: string, options: ApiOptions & { wrappedKey?: string; wrappedKeyFile?: string }) => {
      const wrapped = options.wrappedKeyFile ? (await readFile(options.wrappedKeyFile)).toString('base64') : options.wrappedKey;
      if (!wrapped) throw new Error('Give the wrapped key with --wrapped-key <base64> or --wrapped-key-file <file>.');
      const key = await client(options).request<EncryptionKeyView>('POST', keyPath(kid), { wrapped_key: wrapped });
      out(options.json ? `${JSON.stringify(key, null, 2)}\n` : `${deps.keyTable([key])}\nImported: ${kid} is ${key.state} and now wraps the tenant master key.\n`);
    });

  withApi(
    keys
      .command('delete')
      .alias('retire')
      .description('Destroy a key: a CPRK (the TMK goes back under the environment root key first), or a deactivated namespace key nothing depends on.')
      .argument('<kid>', 'the CPRK, or a deactivated tenant-encryption-key'),
  ).action(async (kid: string, options: ApiOptions) => {
    await client(options).request('DELETE', keyPath(kid));
    out(options.json ? `${JSON.stringify({ deleted: kid })}\n` : `Deleted ${kid}: it is destroyed.\n`);
  });

  const byok = program.command('byok').description("Customer-side BYOK tooling (what a customer's own tools do; no keyledger server involved).");
  byok
    .command('wrap')
    .description('Wrap key material for import with CKM_RSA_AES_KEY_WRAP; prints wrapped_key (base64).')
    .requiredOption('--public-key <file>', 'the wrapping key (PEM) from `keys wrapping-key`')
    .requiredOption('--key-material <file>', 'the key material, raw bytes (32 for AES-256)')
    .addOption(hashOption().default('sha256'))
    .action(async (options: { publicKey: string; keyMaterial: string; hash: OaepHash }) => {
      const publicKey = parseRsaPublicKey(await readFile(options.publicKey, 'utf8'));
      const material = await readFile(options.keyMaterial);
      try {
        out(`${rsaAesKeyWrap(publicKey, material, options.hash).toString('base64')}\n`);
      } finally {
        material.fill(0);
      }
    });

  program
    .command('doctor')
    .description('Operator checks. With a CloudHSM cluster id: ACTIVE, with the active HSMs its use needs (a KMS custom key store: two, in different availability zones; PKCS#11: one).')
    .option('--cloudhsm-cluster-id <id>', 'CloudHSM cluster to check (default: $KEYLEDGER_CLOUDHSM_CLUSTER_ID)')
    .addOption(new Option('--for <use>', 'what the cluster is for: the rootKeyMode it serves').choices(['kms-cloudhsm', 'pkcs11']).default('kms-cloudhsm'))
    .option('--region <region>', 'AWS region (default: from the AWS environment)')
    .action(async (options: { cloudhsmClusterId?: string; region?: string; for: 'kms-cloudhsm' | 'pkcs11' }) => {
      const clusterId = options.cloudhsmClusterId ?? readSettings(['cloudHsmClusterId'], deps.env).cloudHsmClusterId;
      if (!clusterId) throw new Error('Nothing to check: give --cloudhsm-cluster-id <id> (or set KEYLEDGER_CLOUDHSM_CLUSTER_ID).');
      const rules = options.for === 'pkcs11' ? 'pkcs11' : 'kms-key-store';
      const result = await checkCloudHsmCluster(new CloudHSMV2Client(options.region ? { region: options.region } : {}), clusterId, rules);
      for (const hsm of result.activeHsms) out(`ok    HSM ${hsm.hsmId} is ACTIVE in ${hsm.availabilityZone}\n`);
      for (const problem of result.problems) out(`FAIL  ${problem}\n`);
      const use = rules === 'pkcs11' ? 'PKCS#11 clients (rootKeyMode pkcs11)' : 'a KMS custom key store';
      if (!result.ok) throw new Error(`CloudHSM cluster ${clusterId} is not ready for ${use}.`);
      const zones = new Set(result.activeHsms.map((hsm) => hsm.availabilityZone)).size;
      out(`ok    CloudHSM cluster ${clusterId} is ACTIVE with ${result.activeHsms.length} HSM${result.activeHsms.length === 1 ? '' : 's'} in ${zones} availability zone${zones === 1 ? '' : 's'}: ready for ${use}.\n`);
    });
}
