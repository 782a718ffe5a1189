import type { KeyHierarchyCommand } from '../commands';
import { IllegalKeyStateError, ValidationError } from '../errors';
import type { KeyHierarchyEvent } from '../events';
import { createCustomerRootKey, deleteCustomerRootKey, importCustomerRootKey, issueWrappingKey, recordCustomerKeyMaterialDeleted } from './customerKeys';
import { approveDestructionRequest, cancelDestructionRequest, liveShred, requestDestruction, settleDestructionRequest } from './destruction';
import { evolve } from './evolve';
import { addNamespaceKeys, provisionTenant, rekey } from './provisioning';
import { changeRetentionPolicy, recordKeyCatalogBackfill, retireKey } from './retirement';
import { assertNotShredded, initialState, type TenantKeyHierarchy } from './state';

/** What may still happen to a shredded tenant: the follow-up of its shred, and answers about its requests. */
const AFTER_SHRED: ReadonlySet<KeyHierarchyCommand['type']> = new Set(['RecordCustomerKeyMaterialDeleted', 'ApproveDestruction', 'CancelDestruction', 'SettleDestruction']);
/** What a pending shred refuses: new keys it would not name. */
const WHILE_SHRED_PENDING: ReadonlySet<KeyHierarchyCommand['type']> = new Set(['AddNamespaceKeys', 'Rekey', 'CreateCustomerRootKey', 'IssueWrappingKey', 'ImportCustomerRootKey']);

export function decide(command: KeyHierarchyCommand, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
  if (!AFTER_SHRED.has(command.type)) assertNotShredded(state);
  const shred = WHILE_SHRED_PENDING.has(command.type) ? liveShred(state) : undefined;
  if (shred) {
    throw new IllegalKeyStateError(
      `The tenant is pending a shred (destruction request ${shred.id}): no keys can be added or changed until it executes or is cancelled (POST /v1/destruction-requests/${shred.id}/cancel).`,
    );
  }
  switch (command.type) {
    case 'ProvisionTenant':
      return provisionTenant(command, state);
    case 'AddNamespaceKeys':
      return addNamespaceKeys(command, state);
    case 'Rekey':
      return rekey(command, state);
    case 'CreateCustomerRootKey':
      return createCustomerRootKey(command, state);
    case 'IssueWrappingKey':
      return issueWrappingKey(command, state);
    case 'ImportCustomerRootKey':
      return importCustomerRootKey(command, state);
    case 'DeleteCustomerRootKey':
      return deleteCustomerRootKey(command, state);
    case 'RecordCustomerKeyMaterialDeleted':
      return recordCustomerKeyMaterialDeleted(command, state);
    case 'RetireKey':
      return retireKey(command, state);
    case 'ChangeRetentionPolicy':
      return changeRetentionPolicy(command, state);
    case 'RecordKeyCatalogBackfill':
      return recordKeyCatalogBackfill(command, state);
    case 'RequestDestruction':
      return requestDestruction(command, state);
    case 'ApproveDestruction':
      return approveDestructionRequest(command, state);
    case 'CancelDestruction':
      return cancelDestructionRequest(command, state);
    case 'SettleDestruction':
      return settleDestructionRequest(command, state);
    default: {
      const _exhaustive: never = command;
      throw new ValidationError(`Unknown command ${(_exhaustive as { type: string }).type}.`);
    }
  }
}

export const tenantKeyHierarchyDecider = { initialState, evolve, decide };
