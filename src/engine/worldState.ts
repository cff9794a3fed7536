/**
 * The flat in-memory world state: accounts and their storage in Maps, code by
 * hash. Every mutation is a `StateDiff` applied forward, which bumps
 * `version` and is kept in a short log, so that a worker's replica can be
 * brought up to date with the diffs it missed instead of a full copy. Undoing
 * a block is also a forward diff (the inverse that `applyDiff` returns).
 */
import { Field, type KeyRef } from "./keys.js"
import type { AccountChange, Hex, StateDiff } from "./types.js"

export interface AccountRecord {
  nonce: bigint
  balance: bigint
  /** keccak of the code as a bigint; 0n when the account has no code. */
  codeHash: bigint
  storage: Map<Hex, bigint>
}

/** A plain-data copy of a whole state, for structured clone to a worker. */
export interface SerializedState {
  readonly id: string
  readonly version: number
  readonly accounts: ReadonlyArray<readonly [Hex, bigint, bigint, bigint, ReadonlyArray<readonly [Hex, bigint]>]>
  readonly codes: ReadonlyArray<readonly [bigint, Uint8Array]>
}

/** The read side of a state, as the executors use it. Synchronous on purpose. */
export interface StateReader {
  read(key: KeyRef): bigint
  code(codeHash: bigint): Uint8Array | undefined
  /** Whether the account has any non-zero storage slot (for EIP-7610). */
  hasStorage(address: Hex): boolean
}

/** A diff and the version it produced. */
export interface VersionedDiff {
  readonly version: number
  readonly diff: StateDiff
}

const LOG_LIMIT = 64
let nextStateId = 1

export class WorldState implements StateReader {
  readonly accounts = new Map<Hex, AccountRecord>()
  readonly codes = new Map<bigint, Uint8Array>()
  /** Identifies this lineage of versions; replicas compare it before applying diffs. */
  readonly id: string
  private _version = 0
  private readonly log: VersionedDiff[] = []

  constructor(id?: string) {
    this.id = id ?? `state-${process.pid}-${nextStateId++}-${Date.now()}`
  }

  get version(): number {
    return this._version
  }

  read(key: KeyRef): bigint {
    const account = this.accounts.get(key.address)
    switch (key.field) {
      case Field.exists:
        return account === undefined ? 0n : 1n
      case Field.nonce:
        return account?.nonce ?? 0n
      case Field.balance:
        return account?.balance ?? 0n
      case Field.code:
        return account?.codeHash ?? 0n
      case Field.storageEpoch:
        return 0n
      default:
        return account?.storage.get(key.slot as Hex) ?? 0n
    }
  }

  code(codeHash: bigint): Uint8Array | undefined {
    if (codeHash === 0n) return new Uint8Array()
    return this.codes.get(codeHash)
  }

  hasStorage(address: Hex): boolean {
    const account = this.accounts.get(address)
    return account !== undefined && account.storage.size > 0
  }

  /** Applies a diff and returns the diff that undoes it. */
  applyDiff(diff: StateDiff): StateDiff {
    const inverse = new Map<Hex, AccountChange>()
    for (const change of diff.values()) {
      inverse.set(change.address, this.inverseOf(change))
      this.applyChange(change)
    }
    this._version++
    this.log.push({ version: this._version, diff })
    if (this.log.length > LOG_LIMIT) this.log.shift()
    return inverse
  }

  /** The diffs applied after `version`, oldest first, or undefined if the log no longer reaches back. */
  changesSince(version: number): VersionedDiff[] | undefined {
    if (version === this._version) return []
    const first = this.log[0]
    if (first === undefined || version < first.version - 1 || version > this._version) return undefined
    return this.log.filter((entry) => entry.version > version)
  }

  serialize(): SerializedState {
    const accounts: [Hex, bigint, bigint, bigint, [Hex, bigint][]][] = []
    for (const [address, a] of this.accounts) {
      accounts.push([address, a.nonce, a.balance, a.codeHash, [...a.storage]])
    }
    return { id: this.id, version: this._version, accounts, codes: [...this.codes] }
  }

  static deserialize(data: SerializedState): WorldState {
    const state = new WorldState(data.id)
    state._version = data.version
    for (const [address, nonce, balance, codeHash, storage] of data.accounts) {
      state.accounts.set(address, { nonce, balance, codeHash, storage: new Map(storage) })
    }
    for (const [hash, code] of data.codes) state.codes.set(hash, code)
    return state
  }

  /** A deep copy with a new identity (used by tests and by the sequential reference). */
  clone(): WorldState {
    const copy = WorldState.deserialize({ ...this.serialize(), id: `${this.id}-copy-${nextStateId++}` })
    return copy
  }

  private applyChange(change: AccountChange): void {
    if (change.code !== undefined && change.codeHash !== undefined) {
      this.codes.set(BigInt(change.codeHash), hexToBytes(change.code))
    }
    if (change.deleted) {
      this.accounts.delete(change.address)
      return
    }
    let account = this.accounts.get(change.address)
    if (account === undefined) {
      account = { nonce: 0n, balance: 0n, codeHash: 0n, storage: new Map() }
      this.accounts.set(change.address, account)
    }
    if (change.nonce !== undefined) account.nonce = change.nonce
    if (change.balance !== undefined) account.balance = change.balance
    if (change.codeHash !== undefined) account.codeHash = BigInt(change.codeHash)
    if (change.storageCleared) account.storage.clear()
    for (const [slot, value] of change.storage) {
      if (value === 0n) account.storage.delete(slot)
      else account.storage.set(slot, value)
    }
  }

  private inverseOf(change: AccountChange): AccountChange {
    const account = this.accounts.get(change.address)
    if (account === undefined) {
      return { address: change.address, deleted: true, storageCleared: true, storage: new Map() }
    }
    const restoreAll = change.deleted || change.storageCleared
    const storage = new Map<Hex, bigint>()
    if (restoreAll) {
      for (const [slot, value] of account.storage) storage.set(slot, value)
    } else {
      for (const slot of change.storage.keys()) storage.set(slot, account.storage.get(slot) ?? 0n)
    }
    // The code itself only when the change replaces or removes it: codes are never dropped from
    // `codes`, so restoring the hash is enough otherwise. Copying it into every undo entry cost a
    // hex copy of the contract per block, kept for the whole session.
    const codeChanges = change.deleted || (change.codeHash !== undefined && BigInt(change.codeHash) !== account.codeHash)
    const code = codeChanges && account.codeHash !== 0n ? this.codes.get(account.codeHash) : undefined
    return {
      address: change.address,
      deleted: false,
      nonce: account.nonce,
      balance: account.balance,
      codeHash: hashToHex(account.codeHash),
      ...(code !== undefined ? { code: bytesToHex(code) } : {}),
      storageCleared: restoreAll,
      storage,
    }
  }
}

export function hashToHex(hash: bigint): Hex {
  return `0x${hash.toString(16).padStart(64, "0")}`
}

export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`
}

export function hexToBytes(hex: string): Uint8Array {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex
  return new Uint8Array(Buffer.from(body.length % 2 === 1 ? `0${body}` : body, "hex"))
}
