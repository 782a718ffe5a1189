import { contracts, noQuery } from '@keyledger/http';
import { createKeyBody, destructionRequestPath, importKeyBody, kidPath, listKeysAsOfQuery, listKeysQuery, retentionBody, wrappingKeyBody } from './schemas';

const kid = { pathParameters: kidPath, queryStringParameters: noQuery };
const request = { pathParameters: destructionRequestPath, queryStringParameters: noQuery };

/** What each key-admin operation takes; the handlers validate with it (responses.ts says what they answer). */
export const KEY_ADMIN_CONTRACT = contracts({
  listEncryptionKeys: { input: { queryStringParameters: listKeysQuery } },
  listEncryptionKeysAsOf: { input: { queryStringParameters: listKeysAsOfQuery } },
  getEncryptionKey: { input: kid },
  rekey: { input: { queryStringParameters: noQuery } },
  createEncryptionKey: { input: { queryStringParameters: noQuery, body: createKeyBody } },
  createWrappingKey: { input: { ...kid, body: wrappingKeyBody } },
  importEncryptionKey: { input: { ...kid, body: importKeyBody } },
  deleteEncryptionKey: { input: kid },
  getKeyUsage: { input: kid },
  getKeyRetention: { input: { queryStringParameters: noQuery } },
  setKeyRetention: { input: { queryStringParameters: noQuery, body: retentionBody } },
  listDestructionRequests: { input: { queryStringParameters: noQuery } },
  getDestructionRequest: { input: request },
  approveDestructionRequest: { input: request },
  cancelDestructionRequest: { input: request },
  getDestructionReceipt: { input: request },
  shredTenant: { input: { queryStringParameters: noQuery } },
});
