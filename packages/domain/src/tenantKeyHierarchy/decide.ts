import type { KeyHierarchyCommand } from '../commands';
import { ValidationError } from '../errors';
import type { KeyHierarchyEvent } from '../events';
import { createCustomerRootKey, deleteCustomerRootKey, importCustomerRootKey, issueWrappingKey, recordCustomerKeyMaterialDeleted } from './customerKeys';
import { approveDestructionRequest, cancelDestructionRequest, requestDestruction, settleDestructionRequest } from './destruction';
import { evolve } from './evolve';
import { addNamespaceKeys, provisionTenant, rekey } from './provisioning';
import { changeRetentionPolicy, recordKeyCatalogBackfill, retireKey } from './retirement';
import { initialState, type TenantKeyHierarchy } from './state';

export function decide(command: KeyHierarchyCommand, state: TenantKeyHierarchy): KeyHierarchyEvent[] {
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
