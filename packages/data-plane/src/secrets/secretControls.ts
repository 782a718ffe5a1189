import { createHash } from 'node:crypto';
import {
  BatchGetItemCommand,
  type BatchGetItemCommandOutput,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { SECRETS_ATTR as A, SECRETS_ROTATIONS_DUE_INDEX } from '@keyledger/dynamodb';
import type { AccessRule } from './accessRules';
import type { SecretRef } from './secretStore';

type Item = Record<string, AttributeValue>;

export type SecretAuditMode = 'summary' | 'every_read';

/** A secret's rotation schedule (PUT /v1/secrets/{name}/rotation). */
export interface RotationSchedule {
  /** ISO 8601 duration, at least PT1H. */
  period: string;
  length: number;
  characters: string;
  /** Live versions kept after each rotation (older ones deleted); null: all. */
  keep: number | null;
  nextRotationAt: string;
  lastRotatedAt: string | null;
  lastVersion: number | null;
}

export interface SecretSettings {
  rotation: RotationSchedule | null;
  audit: SecretAuditMode;
}

/** Reads of one secret version by one caller, as counted (GET /v1/secrets/{name}/usage). */
export interface SecretUsageRecord {
  version: number;
  clientId: string | null;
  subject: string | null;
  reads: number;
  firstReadAt: string;
  lastReadAt: string;
}

const ROTATION_QUEUE = 'rotations';
const SETTINGS = 'settings';
const USAGE = 'usage#';
const secretId = (ref: SecretRef) => `${ref.tenant}/${ref.namespace}/${ref.name}`;
const settingsKey = (ref: SecretRef): Item => ({ [A.secretId]: { S: secretId(ref) }, [A.version]: { S: SETTINGS } });
/** The item holding a namespace's access rules; its id holds a '#', which no secret name can. */
export const accessRulesKey = (scope: Omit<SecretRef, 'name'>): Item => ({ [A.secretId]: { S: `${scope.tenant}/${scope.namespace}/#access-rules` }, [A.version]: { S: 'rules' } });
/**
 * One part of a usage item's key: empty for none, `v` and the URI-encoded value, or `h` and its
 * SHA-256 when that would be long (a sort key is at most 1 KiB; the item keeps the value itself).
 */
function keyPart(value: string | null): string {
  if (value === null) return '';
  const encoded = encodeURIComponent(value);
  return encoded.length <= 200 ? `v${encoded}` : `h${createHash('sha256').update(value).digest('hex')}`;
}
/** One usage item per (version, client, subject): `usage#<version>#<client>#<subject>`. */
const usageSort = (usage: Pick<SecretUsageRecord, 'version' | 'clientId' | 'subject'>) => `${USAGE}${String(usage.version).padStart(19, '0')}#${keyPart(usage.clientId)}#${keyPart(usage.subject)}`;

function toSettings(item: Item | undefined): SecretSettings {
  const audit = item?.['audit']?.S === 'every_read' ? 'every_read' : 'summary';
  const period = item?.['rotation_period']?.S;
  if (!item || !period) return { rotation: null, audit };
  return {
    audit,
    rotation: {
      period,
      length: Number(item['rotation_length']?.N),
      characters: item['rotation_characters']?.S ?? '',
      keep: item['rotation_keep']?.N ? Number(item['rotation_keep'].N) : null,
      nextRotationAt: item[A.rotationNext]?.S ?? '',
      lastRotatedAt: item['rotation_last_at']?.S ?? null,
      lastVersion: item['rotation_last_version']?.N ? Number(item['rotation_last_version'].N) : null,
    },
  };
}

/**
 * What a secret has besides its versions, in the Secrets table and in the secret's own partition
 * (so deleting the secret deletes it too): its settings (rotation schedule, audit mode), and how
 * often each caller read each version. And per namespace, its access rules.
 */
export class DynamoDbSecretControls {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  async settings(ref: SecretRef): Promise<SecretSettings> {
    const { Item } = await this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: settingsKey(ref), ConsistentRead: true }));
    return toSettings(Item);
  }

  /** The settings of several secrets of one namespace (a listing page), by name. */
  async settingsOf(scope: Omit<SecretRef, 'name'>, names: readonly string[]): Promise<Map<string, SecretSettings>> {
    const found = new Map<string, SecretSettings>();
    for (let start = 0; start < names.length; start += 100) {
      let keys: Item[] | undefined = names.slice(start, start + 100).map((name) => settingsKey({ ...scope, name }));
      for (let attempt = 0; keys && keys.length > 0 && attempt < 5; attempt += 1) {
        const answer: BatchGetItemCommandOutput = await this.options.client.send(new BatchGetItemCommand({ RequestItems: { [this.options.tableName]: { Keys: keys } } }));
        for (const item of answer.Responses?.[this.options.tableName] ?? []) found.set((item[A.secretId]?.S ?? '').slice(`${scope.tenant}/${scope.namespace}/`.length), toSettings(item));
        keys = answer.UnprocessedKeys?.[this.options.tableName]?.Keys;
      }
    }
    return found;
  }

  /** Sets (or with null removes) the rotation schedule; the secret leaves or joins the rotations-due index with it. */
  async setRotation(ref: SecretRef, rotation: Omit<RotationSchedule, 'lastRotatedAt' | 'lastVersion'> | null, at: string, by: string): Promise<void> {
    const names = { '#q': A.rotationQueue, '#next': A.rotationNext, '#p': 'rotation_period', '#l': 'rotation_length', '#c': 'rotation_characters', '#k': 'rotation_keep', '#u': 'updated_at', '#b': 'updated_by' };
    await this.options.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: settingsKey(ref),
        ...(rotation
          ? {
              UpdateExpression: `SET #q = :q, #next = :next, #p = :p, #l = :l, #c = :c, #u = :u, #b = :b ${rotation.keep === null ? 'REMOVE #k' : ', #k = :k'}`,
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: {
                ':q': { S: ROTATION_QUEUE },
                ':next': { S: rotation.nextRotationAt },
                ':p': { S: rotation.period },
                ':l': { N: String(rotation.length) },
                ':c': { S: rotation.characters },
                ':u': { S: at },
                ':b': { S: by },
                ...(rotation.keep === null ? {} : { ':k': { N: String(rotation.keep) } }),
              },
            }
          : {
              UpdateExpression: 'SET #u = :u, #b = :b REMOVE #q, #next, #p, #l, #c, #k',
              ExpressionAttributeNames: names,
              ExpressionAttributeValues: { ':u': { S: at }, ':b': { S: by } },
            }),
      }),
    );
  }

  async setAudit(ref: SecretRef, audit: SecretAuditMode, at: string, by: string): Promise<void> {
    await this.options.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: settingsKey(ref),
        UpdateExpression: 'SET #a = :a, #u = :u, #b = :b',
        ExpressionAttributeNames: { '#a': 'audit', '#u': 'updated_at', '#b': 'updated_by' },
        ExpressionAttributeValues: { ':a': { S: audit }, ':u': { S: at }, ':b': { S: by } },
      }),
    );
  }

  async accessRules(scope: Omit<SecretRef, 'name'>): Promise<{ rules: AccessRule[]; updatedAt: string | null; updatedBy: string | null }> {
    const { Item } = await this.options.client.send(new GetItemCommand({ TableName: this.options.tableName, Key: accessRulesKey(scope), ConsistentRead: true }));
    return { rules: Item?.['rules']?.S ? (JSON.parse(Item['rules'].S) as AccessRule[]) : [], updatedAt: Item?.['updated_at']?.S ?? null, updatedBy: Item?.['updated_by']?.S ?? null };
  }

  async putAccessRules(scope: Omit<SecretRef, 'name'>, rules: readonly AccessRule[], at: string, by: string): Promise<void> {
    await this.options.client.send(
      new PutItemCommand({ TableName: this.options.tableName, Item: { ...accessRulesKey(scope), rules: { S: JSON.stringify(rules) }, updated_at: { S: at }, updated_by: { S: by } } }),
    );
  }

  /** Adds counted reads: the count grows, the first read stays the earliest written, the last read is the latest written. */
  async addUsage(ref: SecretRef, usage: SecretUsageRecord): Promise<void> {
    await this.options.client.send(
      new UpdateItemCommand({
        TableName: this.options.tableName,
        Key: { [A.secretId]: { S: secretId(ref) }, [A.version]: { S: usageSort(usage) } },
        UpdateExpression: 'ADD #n :n SET #first = if_not_exists(#first, :first), #last = :last, #sv = :sv, #c = :c, #s = :s',
        ExpressionAttributeNames: { '#n': 'reads', '#first': 'first_read_at', '#last': 'last_read_at', '#sv': 'secret_version', '#c': 'client_id', '#s': 'subject' },
        ExpressionAttributeValues: {
          ':n': { N: String(usage.reads) },
          ':first': { S: usage.firstReadAt },
          ':last': { S: usage.lastReadAt },
          ':sv': { N: String(usage.version) },
          ':c': usage.clientId === null ? { NULL: true } : { S: usage.clientId },
          ':s': usage.subject === null ? { NULL: true } : { S: usage.subject },
        },
      }),
    );
  }

  /** A page of a secret's read counts, in (version, client, subject) order after `after`. */
  async usage(ref: SecretRef, page: { after?: string; limit: number }): Promise<{ usage: SecretUsageRecord[]; next: string | null }> {
    const result = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        KeyConditionExpression: page.after ? '#id = :id AND #v > :after' : '#id = :id AND begins_with(#v, :usage)',
        ...(page.after ? { FilterExpression: 'begins_with(#v, :usage)' } : {}),
        ExpressionAttributeNames: { '#id': A.secretId, '#v': A.version },
        ExpressionAttributeValues: { ':id': { S: secretId(ref) }, ':usage': { S: USAGE }, ...(page.after ? { ':after': { S: `${USAGE}${page.after}` } } : {}) },
        ConsistentRead: true,
        Limit: page.limit,
      }),
    );
    const items = result.Items ?? [];
    const usage = items.map((item) => ({
      version: Number(item['secret_version']?.N),
      clientId: item['client_id']?.S ?? null,
      subject: item['subject']?.S ?? null,
      reads: Number(item['reads']?.N ?? 0),
      firstReadAt: item['first_read_at']?.S ?? '',
      lastReadAt: item['last_read_at']?.S ?? '',
    }));
    const last = items.at(-1)?.[A.version]?.S;
    return { usage, next: result.LastEvaluatedKey && last ? last.slice(USAGE.length) : null };
  }
}

/**
 * The rotation side of the settings items, which only the worker uses (kept apart so the API's
 * bundle does not carry it): the secrets due for rotation, and moving a schedule past a due time.
 */
export class DynamoDbRotationQueue {
  constructor(private readonly options: { client: DynamoDBClient; tableName: string }) {}

  /**
   * Moves a schedule past a due time it was rotated for: only if it is still due at `due` (a
   * concurrent scheduler, or a new schedule, wins otherwise: false).
   */
  async advanceRotation(ref: SecretRef, due: string, next: { nextRotationAt: string; rotatedAt: string; version: number }): Promise<boolean> {
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: settingsKey(ref),
          UpdateExpression: 'SET #next = :next, #at = :at, #v = :v',
          ConditionExpression: '#next = :due',
          ExpressionAttributeNames: { '#next': A.rotationNext, '#at': 'rotation_last_at', '#v': 'rotation_last_version' },
          ExpressionAttributeValues: { ':next': { S: next.nextRotationAt }, ':at': { S: next.rotatedAt }, ':v': { N: String(next.version) }, ':due': { S: due } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Removes a schedule that is still at `due` (its secret has no live version any more): false if it moved on. */
  async dropRotation(ref: SecretRef, due: string): Promise<boolean> {
    try {
      await this.options.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: settingsKey(ref),
          UpdateExpression: 'REMOVE #q, #next, #p, #l, #c, #k',
          ConditionExpression: '#next = :due',
          ExpressionAttributeNames: { '#q': A.rotationQueue, '#next': A.rotationNext, '#p': 'rotation_period', '#l': 'rotation_length', '#c': 'rotation_characters', '#k': 'rotation_keep' },
          ExpressionAttributeValues: { ':due': { S: due } },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** A page of the secrets whose next rotation is at or before `now`, soonest first; `next` continues it. */
  async dueRotations(now: string, limit: number, after?: Item): Promise<{ due: Array<SecretRef & { due: string }>; next: Item | undefined }> {
    const { Items, LastEvaluatedKey } = await this.options.client.send(
      new QueryCommand({
        TableName: this.options.tableName,
        IndexName: SECRETS_ROTATIONS_DUE_INDEX,
        KeyConditionExpression: '#q = :q AND #next <= :now',
        ExpressionAttributeNames: { '#q': A.rotationQueue, '#next': A.rotationNext },
        ExpressionAttributeValues: { ':q': { S: ROTATION_QUEUE }, ':now': { S: now } },
        Limit: limit,
        ExclusiveStartKey: after,
      }),
    );
    const due = (Items ?? []).map((item) => {
      const [tenant = '', namespace = '', ...rest] = (item[A.secretId]?.S ?? '').split('/');
      return { tenant, namespace, name: rest.join('/'), due: item[A.rotationNext]?.S ?? '' };
    });
    return { due, next: LastEvaluatedKey };
  }
}
