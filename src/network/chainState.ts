/**
 * The node's state over time. The head is one flat `WorldState`; every change
 * to it (a mined block, `hardhat_setBalance`...) is applied as a diff whose
 * inverse is kept. That gives, without copying the state:
 * - the state at any earlier point, read through the inverses (`at`);
 * - snapshots as positions, and reverts that apply the inverses back, which
 *   costs what changed since the snapshot, not the size of the state;
 * - the state root, kept incrementally by the engine's `StateTrie`.
 */
import { Field, type KeyRef } from "../engine/keys.js"
import { stateTrieOf, WorldState, type AccountChange, type Hex, type StateDiff, type StateReader } from "../engine/index.js"

export class ChainState {
  readonly head = new WorldState()
  /** undo[i] reverses the i-th change. */
  private readonly undo: StateDiff[] = []

  get position(): number {
    return this.undo.length
  }

  apply(diff: StateDiff): void {
    if (diff.size === 0) return
    this.undo.push(this.head.applyDiff(diff))
  }

  /** Goes back to an earlier position (a snapshot). */
  rewind(position: number): void {
    while (this.undo.length > position) {
      const inverse = this.undo.pop() as StateDiff
      this.head.applyDiff(inverse)
      // applyDiff logged the inverse as a new forward change of the head; that is what
      // worker replicas must see too, so nothing else to do here.
    }
  }

  stateRoot(): Hex {
    return stateTrieOf(this.head).root
  }

  /** The state as it was at `position` (the head itself when position is the current one). */
  at(position: number): StateReader {
    if (position >= this.undo.length) return this.head
    return new HistoricalState(this.head, this.undo, position)
  }
}

/** Reads the state at a past position by finding, per key, the first later change that touched it. */
class HistoricalState implements StateReader {
  constructor(
    private readonly head: WorldState,
    private readonly undo: readonly StateDiff[],
    private readonly position: number,
  ) {}

  read(key: KeyRef): bigint {
    for (let i = this.position; i < this.undo.length; i++) {
      const before = (this.undo[i] as StateDiff).get(key.address)
      if (before === undefined) continue
      if (before.deleted) return 0n // the account did not exist yet
      switch (key.field) {
        case Field.exists:
          return 1n
        case Field.nonce:
          return before.nonce ?? 0n
        case Field.balance:
          return before.balance ?? 0n
        case Field.code:
          return before.codeHash !== undefined ? BigInt(before.codeHash) : 0n
        case Field.storageEpoch:
          return 0n
        default: {
          const value = before.storage.get(key.slot as Hex)
          if (value !== undefined) return value
          if (before.storageCleared) return 0n // the whole old storage was listed
          continue // this change did not touch the slot
        }
      }
    }
    return this.head.read(key)
  }

  code(codeHash: bigint): Uint8Array | undefined {
    return this.head.code(codeHash) // code is never forgotten
  }

  hasStorage(address: Hex): boolean {
    return this.head.hasStorage(address)
  }
}

/** The head with a block's changes on top that were not applied (the "pending" block's state). */
export class PendingState implements StateReader {
  constructor(
    private readonly base: StateReader,
    private readonly diff: StateDiff,
  ) {}

  read(key: KeyRef): bigint {
    const change = this.diff.get(key.address)
    if (change === undefined) return this.base.read(key)
    if (change.deleted) return 0n
    switch (key.field) {
      case Field.exists:
        return 1n
      case Field.nonce:
        return change.nonce ?? this.base.read(key)
      case Field.balance:
        return change.balance ?? this.base.read(key)
      case Field.code:
        return change.codeHash !== undefined ? BigInt(change.codeHash) : this.base.read(key)
      case Field.storageEpoch:
        return this.base.read(key)
      default: {
        const value = change.storage.get(key.slot as Hex)
        if (value !== undefined) return value
        return change.storageCleared ? 0n : this.base.read(key)
      }
    }
  }

  code(codeHash: bigint): Uint8Array | undefined {
    const known = this.base.code(codeHash)
    if (known !== undefined) return known
    for (const change of this.diff.values()) {
      if (change.code !== undefined && change.codeHash !== undefined && BigInt(change.codeHash) === codeHash) {
        return new Uint8Array(Buffer.from(change.code.slice(2), "hex"))
      }
    }
    return undefined
  }

  hasStorage(address: Hex): boolean {
    const change = this.diff.get(address)
    if (change === undefined) return this.base.hasStorage(address)
    if (change.deleted) return false
    for (const value of change.storage.values()) if (value !== 0n) return true
    return !change.storageCleared && this.base.hasStorage(address)
  }
}

/**
 * Folds `newer` (a diff over the state that `target` leads to) into `target`, in place, so
 * that `target` alone leads where both did. In place because the pending state grows one
 * transaction at a time and copying it each time would make every send cost more as the pool
 * grows; `target` must own its account changes and their storage maps. Returns false, with
 * `target` untouched, when an account that `target` deletes comes back in `newer` (the fields
 * `newer` leaves out would then read the base's old values).
 */
export function mergeDiffInto(target: Map<Hex, AccountChange>, newer: StateDiff): boolean {
  for (const [address, change] of newer) if (!change.deleted && target.get(address)?.deleted === true) return false
  for (const [address, change] of newer) {
    const before = target.get(address)
    if (before === undefined || change.deleted) {
      target.set(address, change)
      continue
    }
    let storage = change.storage
    if (!change.storageCleared) {
      const owned = before.storage as Map<Hex, bigint>
      for (const [slot, value] of change.storage) owned.set(slot, value)
      storage = owned
    }
    const nonce = change.nonce ?? before.nonce
    const balance = change.balance ?? before.balance
    const code = change.codeHash !== undefined ? change : before
    target.set(address, {
      address,
      deleted: false,
      storageCleared: before.storageCleared || change.storageCleared,
      storage,
      ...(nonce !== undefined ? { nonce } : {}),
      ...(balance !== undefined ? { balance } : {}),
      ...(code.codeHash !== undefined ? { codeHash: code.codeHash, ...(code.code !== undefined ? { code: code.code } : {}) } : {}),
    })
  }
  return true
}
