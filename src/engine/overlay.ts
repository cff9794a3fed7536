/**
 * A block's writes over a base state, applied in block order. It is the
 * source the sequential executor reads from, the layer that system calls put
 * under the transactions, and the walk that turns per-transaction writes
 * (from either executor) into old/new values and the block's state diff.
 */
import { Field, accountKey, keyFromId, type KeyRef } from "./keys.js"
import type { VersionedSource } from "./txView.js"
import type { AccountChange, Hex, StateDiff } from "./types.js"
import { bytesToHex, hashToHex, type StateReader } from "./worldState.js"

export type WriteEntry = readonly [id: string, value: bigint, delta: boolean]

export class BlockOverlay implements VersionedSource, StateReader {
  private readonly values = new Map<string, bigint>()
  private readonly slots = new Map<Hex, Set<string>>()
  private readonly codes = new Map<bigint, Uint8Array>()

  constructor(readonly base: StateReader) {}

  read(key: KeyRef): bigint {
    const value = this.values.get(key.id)
    if (value !== undefined) return value
    if (key.field === Field.storage && this.values.has(key.address + "x")) return 0n
    return this.base.read(key)
  }

  readSlot(key: KeyRef): bigint {
    return this.read(key)
  }

  code(codeHash: bigint): Uint8Array | undefined {
    return this.codes.get(codeHash) ?? this.base.code(codeHash)
  }

  hasStorage(address: Hex): boolean {
    for (const id of this.slots.get(address) ?? []) if (this.values.get(id) !== 0n) return true
    return !this.values.has(address + "x") && this.base.hasStorage(address)
  }

  /**
   * Applies one transaction's writes. Storage wipes go first: a transaction
   * that wipes and then writes a slot only reports the writes made after.
   * `onWrite` sees each write with the value it replaced.
   */
  apply(
    writes: readonly WriteEntry[],
    codes: ReadonlyArray<readonly [bigint, Uint8Array]> = [],
    onWrite?: (key: KeyRef, old: bigint, value: bigint, delta: boolean) => void,
  ): void {
    for (const [hash, code] of codes) this.codes.set(hash, code)
    for (const write of writes) if (write[0].length === 43 && write[0][42] === "x") this.applyOne(write, onWrite)
    for (const write of writes) if (!(write[0].length === 43 && write[0][42] === "x")) this.applyOne(write, onWrite)
  }

  private applyOne(
    [id, value, delta]: WriteEntry,
    onWrite?: (key: KeyRef, old: bigint, value: bigint, delta: boolean) => void,
  ): void {
    const key = keyFromId(id)
    const old = this.read(key)
    const next = delta ? old + value : value
    if (key.field === Field.storageEpoch) {
      for (const slot of this.slots.get(key.address) ?? []) this.values.delete(slot)
      this.slots.delete(key.address)
    } else if (key.field === Field.storage) {
      let slots = this.slots.get(key.address)
      if (slots === undefined) this.slots.set(key.address, (slots = new Set()))
      slots.add(id)
    }
    this.values.set(id, next)
    onWrite?.(key, old, next, delta)
  }

  /** The overlay as a diff over `reference` (its base, or a state further down). */
  diff(reference: StateReader = this.base): StateDiff {
    const touched = new Set<Hex>()
    for (const id of this.values.keys()) touched.add(id.slice(0, 42) as Hex)
    const diff = new Map<Hex, AccountChange>()
    for (const address of touched) {
      const change = this.accountChange(address, reference)
      if (change !== undefined) diff.set(address, change)
    }
    return diff
  }

  private accountChange(address: Hex, reference: StateReader): AccountChange | undefined {
    const existedBefore = reference.read(accountKey(address, Field.exists)) === 1n
    if (this.read(accountKey(address, Field.exists)) === 0n) {
      return existedBefore ? { address, deleted: true, storageCleared: true, storage: new Map() } : undefined
    }
    const changed = (field: Field_) => {
      const key = accountKey(address, field)
      const value = this.read(key)
      return !existedBefore || value !== reference.read(key) ? value : undefined
    }
    const nonce = changed(Field.nonce)
    const balance = changed(Field.balance)
    const codeHash = changed(Field.code)
    const storageCleared = (this.values.get(address + "x") ?? 0n) !== 0n
    const storage = new Map<Hex, bigint>()
    for (const id of this.slots.get(address) ?? []) {
      const value = this.values.get(id) as bigint
      const slot = id.slice(42) as Hex
      if (storageCleared ? value !== 0n : value !== reference.read(keyFromId(id))) storage.set(slot, value)
    }
    if (nonce === undefined && balance === undefined && codeHash === undefined && !storageCleared && storage.size === 0) {
      return undefined
    }
    return {
      address,
      deleted: false,
      ...(nonce !== undefined ? { nonce } : {}),
      ...(balance !== undefined ? { balance } : {}),
      ...(codeHash !== undefined
        ? { codeHash: hashToHex(codeHash), code: bytesToHex(this.code(codeHash) ?? new Uint8Array()) }
        : {}),
      storageCleared,
      storage,
    }
  }
}

type Field_ = Exclude<(typeof Field)[keyof typeof Field], 5>
