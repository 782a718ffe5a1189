import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import dynalite from 'dynalite';

export interface RunningDynalite {
  endpoint: string;
  port: number;
  /** A real SDK client speaking HTTP to this dynalite. */
  client: DynamoDBClient;
  stop(): Promise<void>;
}

/**
 * Starts dynalite (local DynamoDB) on the loopback interface. With `path`, data is kept in a
 * LevelDB directory and survives restarts; without it, data lives in memory.
 */
export async function startDynalite(options: { path?: string; port?: number; host?: string } = {}): Promise<RunningDynalite> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = dynalite({ path: options.path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${host}:${port}`;
  const client = createLocalDynamoDbClient(endpoint);
  return {
    endpoint,
    port,
    client,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export function createLocalDynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
  });
}
