import type {
  CustomerKeyRef,
  ImportKeyMaterialInput,
  RootKeyStore,
  UnwrapKeyInput,
  WrapKeyInput,
  WrappingKeyRequest,
} from './rootKeyStore';

/** Forwards every operation to another store; decorators (auditing, fault injection) override what they watch. */
export class DelegatingRootKeyStore implements RootKeyStore {
  readonly kind: string;
  readonly developmentOnly: boolean;
  readonly wrappingProfiles: RootKeyStore['wrappingProfiles'];

  constructor(protected readonly inner: RootKeyStore) {
    this.kind = inner.kind;
    this.developmentOnly = inner.developmentOnly;
    this.wrappingProfiles = inner.wrappingProfiles;
  }

  describeRootKey() {
    return this.inner.describeRootKey();
  }
  wrapKey(input: WrapKeyInput) {
    return this.inner.wrapKey(input);
  }
  unwrapKey(input: UnwrapKeyInput) {
    return this.inner.unwrapKey(input);
  }
  createCustomerKey(input: { tenant: string }) {
    return this.inner.createCustomerKey(input);
  }
  createWrappingKey(input: WrappingKeyRequest) {
    return this.inner.createWrappingKey(input);
  }
  importKeyMaterial(input: ImportKeyMaterialInput) {
    return this.inner.importKeyMaterial(input);
  }
  revertImport(ref: CustomerKeyRef) {
    return this.inner.revertImport(ref);
  }
  discardWrappingKeys(ref: CustomerKeyRef) {
    return this.inner.discardWrappingKeys(ref);
  }
  deleteCustomerKey(ref: CustomerKeyRef) {
    return this.inner.deleteCustomerKey(ref);
  }
}
