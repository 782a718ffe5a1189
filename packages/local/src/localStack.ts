import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from '@keyledger/domain';
import { startLocalDynamoDb, type LocalDynamoDb } from '@keyledger/dynamodb';
import { DynamoDbEventStore } from '@keyledger/event-store';
import { ALL_SCOPES, createServiceRouter } from '@keyledger/http';
import { createKeyAdminHandlers } from '@keyledger/key-admin';
import { createTenantRepository, KeyHierarchyService } from '@keyledger/key-hierarchy';
import { DynamoDbKeyMaterialStore } from '@keyledger/key-material';
import { SoftwareRootKeyStore } from '@keyledger/root-key-store';
import type { LocalConfig } from './config';
import { DevIssuer } from './devIssuer';
import { createLocalServer } from './localServer';

export const ROOT_KEY_FILE = 'root-key.json';

export interface RunningLocalStack {
  url: string;
  dynamo: LocalDynamoDb;
  issuer: DevIssuer;
  rootKeyStore: SoftwareRootKeyStore;
  adminToken: string;
  stop(): Promise<void>;
}

/** The local composition root: every adapter the local stack uses is chosen and wired here. */
export async function startLocalStack(config: LocalConfig, logger: Logger): Promise<RunningLocalStack> {
  let ready = false;
  const issuer = await DevIssuer.openOrCreate(config.dataDir, {
    audience: config.KEYLEDGER_JWT_AUDIENCE,
    tenantClaim: config.KEYLEDGER_TENANT_CLAIM,
  });
  const rootKeyStore = await SoftwareRootKeyStore.openOrCreate(join(config.dataDir, ROOT_KEY_FILE));
  const dynamo = await startLocalDynamoDb({ path: join(config.dataDir, 'dynamodb'), port: config.KEYLEDGER_DYNAMODB_PORT });

  const eventStore = new DynamoDbEventStore({ client: dynamo.client, eventsTable: dynamo.tables.events, snapshotsTable: dynamo.tables.snapshots });
  const keyHierarchy = new KeyHierarchyService({
    repository: createTenantRepository(eventStore, { logger }),
    keyMaterial: new DynamoDbKeyMaterialStore({ client: dynamo.client, tableName: dynamo.tables.keyMaterial }),
    rootKeyStore,
    namespaces: config.KEYLEDGER_NAMESPACES,
    logger,
  });
  const keyAdmin = createServiceRouter(
    'key-admin',
    createKeyAdminHandlers({ keyHierarchy, tenantClaim: config.KEYLEDGER_TENANT_CLAIM, logger }),
  );

  const server: Server = createLocalServer({ services: { 'key-admin': keyAdmin }, issuer, logger, isReady: () => ready });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.KEYLEDGER_PORT, config.KEYLEDGER_HOST, () => resolve());
    });
  } catch (error) {
    await dynamo.stop();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  ready = true;

  const adminToken = await issuer.sign({
    tenant: config.KEYLEDGER_DEV_TENANT,
    scopes: ALL_SCOPES,
    subject: 'local-dev|admin',
    expiresIn: 12 * 3600,
  });

  return {
    url: `http://${config.KEYLEDGER_HOST}:${port}`,
    dynamo,
    issuer,
    rootKeyStore,
    adminToken,
    async stop() {
      ready = false;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await dynamo.stop();
    },
  };
}
