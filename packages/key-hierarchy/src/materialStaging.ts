import type { KeyMaterialRef, KeyMaterialStore, WrappedKeyMaterial } from '@keyledger/key-material';

/**
 * Key material written ahead of a commit. If the commit loses (or the decision fails), the
 * staged entries are deleted again; entries left by a crash are removed by the sweep.
 */
export class MaterialStaging {
  private readonly staged: KeyMaterialRef[] = [];

  constructor(private readonly store: KeyMaterialStore) {}

  async put(entry: WrappedKeyMaterial): Promise<void> {
    await this.store.put(entry);
    this.staged.push({ tenant: entry.tenant, kid: entry.kid, parentKid: entry.parentKid });
  }

  async abandon(): Promise<void> {
    await Promise.all(this.staged.splice(0).map((ref) => this.store.delete(ref)));
  }
}
