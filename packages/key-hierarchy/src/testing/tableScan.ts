import { ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLES, type LocalDynamoDb, type TableKey } from '@keyledger/dynamodb';

// For tests of "destroyed means unrecoverable": every table scanned, key bytes looked for in every attribute.

/** Every item of every keyledger table. */
export async function scanAllTables(dynamo: LocalDynamoDb): Promise<Array<Record<string, AttributeValue>>> {
  const items: Array<Record<string, AttributeValue>> = [];
  for (const table of Object.keys(TABLES) as TableKey[]) {
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await dynamo.client.send(new ScanCommand({ TableName: dynamo.tables[table], ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return items;
}

/** Every byte string an item holds, in every encoding a copy could hide in. */
export function itemContains(item: Record<string, AttributeValue>, needle: Buffer): boolean {
  const haystacks: Buffer[] = [];
  const visit = (value: AttributeValue | undefined): void => {
    if (!value) return;
    if (value.B) haystacks.push(Buffer.from(value.B));
    if (value.S) haystacks.push(Buffer.from(value.S));
    value.L?.forEach(visit);
    if (value.M) Object.values(value.M).forEach(visit);
    value.BS?.forEach((b) => haystacks.push(Buffer.from(b)));
    value.SS?.forEach((s) => haystacks.push(Buffer.from(s)));
  };
  Object.values(item).forEach(visit);
  const forms = [needle, Buffer.from(needle.toString('base64')), Buffer.from(needle.toString('hex')), Buffer.from(needle.toString('base64url'))];
  return haystacks.some((haystack) => forms.some((form) => haystack.includes(form)));
}
