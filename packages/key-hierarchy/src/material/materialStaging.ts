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
    this.staged.push(refOf(entry));
  }

  /** Many entries under a parent made for this command (a fresh TMK), in batches. */
  async putMany(entries: readonly WrappedKeyMaterial[]): Promise<void> {
    // Recorded first: a batch that fails half-way is abandoned whole.
    this.staged.push(...entries.map(refOf));
    await this.store.putMany(entries);
  }

  async abandon(): Promise<void> {
    await this.store.deleteMany(this.staged.splice(0));
  }
}

const refOf = (entry: WrappedKeyMaterial): KeyMaterialRef => ({ tenant: entry.tenant, kid: entry.kid, parentKid: entry.parentKid });
