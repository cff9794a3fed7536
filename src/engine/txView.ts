/**
 * The state that one transaction sees, as ethereumjs' StateManagerInterface.
 *
 * Reads go to a `VersionedSource` (the pre-state plus the writes of lower
 * transactions: a plain overlay when sequential, the multi-version memory when
 * parallel) and are recorded field by field with the value seen, so that
 * Block-STM can validate them. Writes stay local until the transaction ends,
 * under a checkpoint journal that mirrors the EVM's call frames.
 *
 * Two things keep unrelated transactions from conflicting:
 * - Accounts are handed to ethereumjs as `TxAccount`s whose fields load on
 *   first use, so touching an account reads only the fields actually used.
 * - Credits that never look at the balance they add to (the coinbase fee after
 *   the top-level call; the value of a CALL) are kept as deltas, which commute.
 *   Reading that balance later in the same transaction resolves it.
 */
import type { StateManagerInterface } from "@ethereumjs/common"
import { Account, KECCAK256_NULL, KECCAK256_RLP, bigIntToBytes, bytesToBigInt, setLengthLeft } from "@ethereumjs/util"
import type { Address } from "@ethereumjs/util"
import { keccak256 } from "./crypto.js"

import { Field, accountKey, storageKey, type KeyRef } from "./keys.js"
import type { Hex } from "./types.js"
import { bytesToHex } from "./worldState.js"

/** Thrown when a read hits a lower transaction's ESTIMATE: this execution must wait for it. */
export class DependencyAbort extends Error {
  constructor(readonly blockingTx: number) {
    super(`blocked by transaction ${blockingTx}`)
    this.name = "DependencyAbort"
  }
}

/** The state below one transaction: the pre-state plus lower transactions' writes. */
export interface VersionedSource {
  /** Value of an account field before transaction `txIndex`. May throw DependencyAbort. */
  read(key: KeyRef, txIndex: number): bigint
  /**
   * Value of a storage slot before transaction `txIndex`, given the storage epoch
   * of its account at that point (a non-zero epoch e means that transaction e-1
   * wiped the storage, so older writes and the pre-state no longer count).
   */
  readSlot(key: KeyRef, txIndex: number, epoch: bigint): bigint
  /** Code bytes by hash: the pre-state's and those deployed by lower transactions. */
  code(codeHash: bigint): Uint8Array | undefined
  /** Whether the account has storage in the pre-state (EIP-7610). */
  hasStorage(address: Hex): boolean
}

/** A write as the transaction left it: a full value, or a credit (`delta`). */
export interface LocalWrite {
  readonly key: KeyRef
  readonly value: bigint
  readonly delta: boolean
  /** The value before the transaction, when it read the key (finish() fills it in). */
  readonly old?: bigint
}

/** What a finished execution read and wrote. */
export interface TxAccess {
  /** Key id -> value seen before any local write. */
  readonly reads: Map<string, { key: KeyRef; value: bigint }>
  /** Key id -> final write. Writes equal to the value read are dropped. */
  readonly writes: Map<string, LocalWrite>
  /** Code deployed by the transaction, by hash. */
  readonly codes: Map<bigint, Uint8Array>
}

type Undo = readonly [id: string, previous: LocalWrite | undefined]

const EMPTY = new Uint8Array()
const KECCAK_NULL_BIGINT = bytesToBigInt(KECCAK256_NULL)

export class TxView implements StateManagerInterface {
  private source!: VersionedSource
  private txIndex = 0
  /** Distinguishes accounts handed out in earlier transactions. */
  private serial = 0
  /** See hideCodeOnFirstRead. */
  private codeHiddenFor: Hex | undefined
  private reads = new Map<string, { key: KeyRef; value: bigint }>()
  private local = new Map<string, LocalWrite>()
  private localSlots = new Map<Hex, Set<string>>()
  private codes = new Map<bigint, Uint8Array>()
  private journal: Undo[] = []
  private marks: number[] = []
  private coinbase: Hex = "0x"
  private afterTopCall = false
  private pendingCredit: { to: Hex; caller: Hex; callerSeen: boolean } | undefined
  /**
   * Set when a read hit an ESTIMATE. ethereumjs catches errors around value
   * transfers and would turn the abort into a failed call, so the view stays
   * poisoned and the executor checks it after runTx, whatever runTx returned.
   */
  abortedBy: number | undefined

  readonly originalStorageCache = {
    get: async (address: Address, key: Uint8Array): Promise<Uint8Array> => {
      return toStorageBytes(this.preSlot(address.toString() as Hex, bytesToHex(key)))
    },
    clear: (): void => {},
  }

  /** Starts a transaction: resets everything local. */
  begin(source: VersionedSource, txIndex: number, coinbase: Hex): void {
    this.codeHiddenFor = undefined
    this.source = source
    this.txIndex = txIndex
    this.serial++
    this.reads = new Map()
    this.local = new Map()
    this.localSlots = new Map()
    this.codes = new Map()
    this.journal = []
    this.marks = []
    this.coinbase = coinbase
    this.afterTopCall = false
    this.pendingCredit = undefined
    this.abortedBy = undefined
  }

  /** The EVM is about to run a message (ethereumjs `beforeMessage`). */
  onMessage(to: Hex | undefined, caller: Hex, value: bigint, delegatecall: boolean): void {
    this.pendingCredit =
      to !== undefined && value > 0n && !delegatecall ? { to, caller, callerSeen: caller !== to } : undefined
  }

  /** The top-level call has returned; what follows is gas refund, fee and cleanup. */
  onTopCallDone(): void {
    this.afterTopCall = true
    this.pendingCredit = undefined
  }

  finish(): TxAccess {
    const writes = new Map<string, LocalWrite>()
    for (const [id, write] of this.local) {
      const seen = this.reads.get(id)
      if (write.delta) {
        if (write.value === 0n) continue
        // A credit on a balance the transaction also read is a full write.
        if (seen !== undefined) {
          writes.set(id, { key: write.key, value: seen.value + write.value, delta: false, old: seen.value })
          continue
        }
      } else if (seen !== undefined) {
        if (seen.value === write.value) continue // a no-op write is not a write
        writes.set(id, { ...write, old: seen.value })
        continue
      }
      writes.set(id, write)
    }
    return { reads: this.reads, writes, codes: this.codes }
  }

  // --- values -------------------------------------------------------------

  /** The value before this transaction, recorded as a read. */
  pre(key: KeyRef): bigint {
    if (this.abortedBy !== undefined) throw new DependencyAbort(this.abortedBy)
    const seen = this.reads.get(key.id)
    if (seen !== undefined) return seen.value
    let value: bigint
    try {
      if (key.field === Field.storage) {
        const epoch = this.pre(accountKey(key.address, Field.storageEpoch))
        value = this.source.readSlot(key, this.txIndex, epoch)
      } else {
        value = this.source.read(key, this.txIndex)
      }
    } catch (error) {
      if (error instanceof DependencyAbort) this.abortedBy = error.blockingTx
      throw error
    }
    this.reads.set(key.id, { key, value })
    return value
  }

  private preSlot(address: Hex, slot: Hex): bigint {
    return this.pre(storageKey(address, slot))
  }

  /** The current value, local writes included. */
  current(key: KeyRef): bigint {
    const write = this.local.get(key.id)
    if (write !== undefined) return write.delta ? this.pre(key) + write.value : write.value
    if (key.field === Field.storage && this.local.has(key.address + "x")) return 0n
    return this.pre(key)
  }

  /** Local state of a field without reading anything: a value, a credit, or unknown. */
  peekLocal(id: string): LocalWrite | undefined {
    return this.local.get(id)
  }

  set(key: KeyRef, value: bigint): void {
    this.record(key.id, { key, value, delta: false })
    if (key.field === Field.storage) {
      let slots = this.localSlots.get(key.address)
      if (slots === undefined) this.localSlots.set(key.address, (slots = new Set()))
      slots.add(key.id)
    }
  }

  credit(key: KeyRef, amount: bigint): void {
    if (amount === 0n) return
    const write = this.local.get(key.id)
    if (write === undefined) this.record(key.id, { key, value: amount, delta: true })
    else this.record(key.id, { key, value: write.value + amount, delta: write.delta })
  }

  private record(id: string, write: LocalWrite | undefined): void {
    if (this.marks.length > 0) this.journal.push([id, this.local.get(id)])
    if (write === undefined) this.local.delete(id)
    else this.local.set(id, write)
  }

  private wipeStorage(address: Hex): void {
    const slots = this.localSlots.get(address)
    if (slots !== undefined) for (const id of slots) this.record(id, undefined)
    this.set(accountKey(address, Field.storageEpoch), BigInt(this.txIndex + 1))
  }

  isCurrentTx(serial: number): boolean {
    return serial === this.serial
  }

  hasStorage(address: Hex): boolean {
    if (this.current(accountKey(address, Field.storageEpoch)) !== 0n) return (this.localSlots.get(address)?.size ?? 0) > 0
    return this.source.hasStorage(address) || (this.localSlots.get(address)?.size ?? 0) > 0
  }

  // --- StateManagerInterface ---------------------------------------------------

  async getAccount(address: Address): Promise<Account | undefined> {
    const addr = address.toString() as Hex
    let credit = false
    const pending = this.pendingCredit
    if (pending !== undefined && addr === pending.to) {
      if (pending.callerSeen) {
        credit = true
        this.pendingCredit = undefined
      } else {
        pending.callerSeen = true
      }
    } else if (pending !== undefined && addr === pending.caller) {
      pending.callerSeen = true
    }
    if (this.current(accountKey(addr, Field.exists)) === 0n) return undefined
    if (!credit && this.afterTopCall && addr === this.coinbase) {
      credit = !this.reads.has(addr + "b") && this.local.get(addr + "b")?.delta !== false
    }
    const hideCode = this.codeHiddenFor === addr
    if (hideCode) this.codeHiddenFor = undefined
    return new TxAccount(this, this.serial, addr, credit, hideCode)
  }

  /** The next account object for `address` reports no code the first time its code hash is read. */
  hideCodeOnFirstRead(address: Hex): void {
    this.codeHiddenFor = address
  }

  async putAccount(address: Address, account?: Account): Promise<void> {
    const addr = address.toString() as Hex
    if (account === undefined) return this.deleteAccount(address)
    if (this.current(accountKey(addr, Field.exists)) === 0n) this.set(accountKey(addr, Field.exists), 1n)
    if (account instanceof TxAccount && account.belongsTo(this)) {
      account.writeBack()
      return
    }
    // A plain Account: ethereumjs made it for an account that did not exist.
    this.set(accountKey(addr, Field.nonce), account.nonce)
    this.set(accountKey(addr, Field.balance), account.balance)
    this.set(accountKey(addr, Field.code), codeHashToValue(account.codeHash))
  }

  async deleteAccount(address: Address): Promise<void> {
    const addr = address.toString() as Hex
    this.set(accountKey(addr, Field.exists), 0n)
    this.set(accountKey(addr, Field.nonce), 0n)
    this.set(accountKey(addr, Field.balance), 0n)
    this.set(accountKey(addr, Field.code), 0n)
    this.wipeStorage(addr)
  }

  async modifyAccountFields(address: Address, fields: Partial<Pick<Account, "nonce" | "balance" | "codeHash">>): Promise<void> {
    const account = (await this.getAccount(address)) ?? new Account()
    if (fields.nonce !== undefined) account.nonce = fields.nonce
    if (fields.balance !== undefined) account.balance = fields.balance
    if (fields.codeHash !== undefined) account.codeHash = fields.codeHash
    await this.putAccount(address, account)
  }

  async putCode(address: Address, code: Uint8Array): Promise<void> {
    const addr = address.toString() as Hex
    const hash = code.length === 0 ? 0n : bytesToBigInt(keccak256(code))
    if (hash !== 0n) this.codes.set(hash, code)
    if (this.current(accountKey(addr, Field.exists)) === 0n) {
      this.set(accountKey(addr, Field.exists), 1n)
      this.set(accountKey(addr, Field.nonce), 0n)
      this.set(accountKey(addr, Field.balance), 0n)
    }
    this.set(accountKey(addr, Field.code), hash)
  }

  async getCode(address: Address): Promise<Uint8Array> {
    return this.codeOf(this.current(accountKey(address.toString() as Hex, Field.code)))
  }

  codeOf(hash: bigint): Uint8Array {
    if (hash === 0n) return EMPTY
    const code = this.codes.get(hash) ?? this.source.code(hash)
    if (code === undefined) throw new Error(`missing code for hash 0x${hash.toString(16)}`)
    return code
  }

  async getCodeSize(address: Address): Promise<number> {
    return (await this.getCode(address)).length
  }

  async getStorage(address: Address, key: Uint8Array): Promise<Uint8Array> {
    return toStorageBytes(this.current(storageKey(address.toString() as Hex, bytesToHex(key))))
  }

  async putStorage(address: Address, key: Uint8Array, value: Uint8Array): Promise<void> {
    this.set(storageKey(address.toString() as Hex, bytesToHex(key)), bytesToBigInt(value))
  }

  async clearStorage(address: Address): Promise<void> {
    this.wipeStorage(address.toString() as Hex)
  }

  async checkpoint(): Promise<void> {
    this.marks.push(this.journal.length)
  }

  async commit(): Promise<void> {
    this.marks.pop()
    if (this.marks.length === 0) this.journal.length = 0
  }

  async revert(): Promise<void> {
    const mark = this.marks.pop()
    if (mark === undefined) return // after an aborted execution the frames are unbalanced
    while (this.journal.length > mark) {
      const [id, previous] = this.journal.pop() as Undo
      if (previous === undefined) this.local.delete(id)
      else this.local.set(id, previous)
    }
    if (this.marks.length === 0) this.journal.length = 0
  }

  async getStateRoot(): Promise<Uint8Array> {
    // Only pre-Byzantium receipts ask; the engine fills those roots in afterwards.
    return new Uint8Array(32)
  }

  async setStateRoot(): Promise<void> {
    throw new Error("TxView has no state roots")
  }

  async hasStateRoot(): Promise<boolean> {
    return false
  }

  clearCaches(): void {}

  shallowCopy(): StateManagerInterface {
    throw new Error("TxView cannot be copied")
  }
}

/**
 * An account as ethereumjs sees it. Fields load on first use, with the value
 * they had when the account was handed out: a field the transaction had
 * already written is captured at once, any other has not changed since the
 * transaction began, so its pre-transaction value is the right one.
 *
 * In credit mode the balance starts at 0 and whatever is added becomes a delta.
 */
export class TxAccount extends Account {
  private readonly view: TxView
  private readonly serial: number
  private readonly addr: Hex
  private readonly creditMode: boolean
  private nonceValue: bigint | undefined
  private balanceValue: bigint | undefined
  private readonly capturedCredit: bigint
  private codeValue: bigint | undefined
  private creditValue = 0n
  private dirtyNonce = false
  private dirtyBalance = false
  private dirtyCode = false

  constructor(
    view: TxView,
    serial: number,
    addr: Hex,
    creditMode: boolean,
    private hideCodeOnce = false,
  ) {
    super(0n, 0n, KECCAK256_RLP, KECCAK256_NULL)
    this.view = view
    this.serial = serial
    this.addr = addr
    this.creditMode = creditMode
    this.nonceValue = fullOrUndefined(view.peekLocal(addr + "n"))
    this.codeValue = fullOrUndefined(view.peekLocal(addr + "c"))
    const balance = view.peekLocal(addr + "b")
    this.balanceValue = balance !== undefined && !balance.delta ? balance.value : undefined
    this.capturedCredit = balance !== undefined && balance.delta ? balance.value : 0n
  }

  belongsTo(view: TxView): boolean {
    return view === this.view && view.isCurrentTx(this.serial)
  }

  override get nonce(): bigint {
    if (this.nonceValue === undefined) this.nonceValue = this.view.pre(accountKey(this.addr, Field.nonce))
    return this.nonceValue
  }

  override set nonce(value: bigint) {
    this.nonceValue = value
    this.dirtyNonce = true
  }

  override get balance(): bigint {
    if (this.creditMode) return this.creditValue
    return this.fullBalance()
  }

  override set balance(value: bigint) {
    if (this.creditMode) {
      this.creditValue = value
    } else {
      this.balanceValue = value
    }
    this.dirtyBalance = true
  }

  private fullBalance(): bigint {
    if (this.balanceValue === undefined) {
      this.balanceValue = this.view.pre(accountKey(this.addr, Field.balance)) + this.capturedCredit
    }
    return this.balanceValue
  }

  private code(): bigint {
    if (this.codeValue === undefined) this.codeValue = this.view.pre(accountKey(this.addr, Field.code))
    return this.codeValue
  }

  override get codeHash(): Uint8Array {
    if (this.hideCodeOnce) {
      this.hideCodeOnce = false
      return KECCAK256_NULL
    }
    const code = this.code()
    return code === 0n ? KECCAK256_NULL : setLengthLeft(bigIntToBytes(code), 32)
  }

  override set codeHash(value: Uint8Array) {
    this.codeValue = codeHashToValue(value)
    this.dirtyCode = true
  }

  override get storageRoot(): Uint8Array {
    // Only the EIP-7610 collision check looks: whether any storage is there.
    return this.view.hasStorage(this.addr) ? KECCAK256_NULL : KECCAK256_RLP
  }

  override set storageRoot(_value: Uint8Array) {}

  override isContract(): boolean {
    return this.code() !== 0n
  }

  override isEmpty(): boolean {
    // A pending credit proves the balance is not zero without reading it.
    if (this.balanceValue === undefined && this.capturedCredit + this.creditValue > 0n) return false
    if (this.nonce !== 0n) return false
    if (this.code() !== 0n) return false
    if (this.creditMode) return this.fullBalance() + this.creditValue === 0n
    return this.fullBalance() === 0n
  }

  /** Applies the fields ethereumjs changed to the transaction's local state. */
  writeBack(): void {
    if (this.dirtyNonce) this.view.set(accountKey(this.addr, Field.nonce), this.nonceValue as bigint)
    if (this.dirtyCode) this.view.set(accountKey(this.addr, Field.code), this.codeValue as bigint)
    if (!this.dirtyBalance) return
    if (this.creditMode) {
      this.view.credit(accountKey(this.addr, Field.balance), this.creditValue)
      this.creditValue = 0n
      this.dirtyBalance = false
    } else {
      this.view.set(accountKey(this.addr, Field.balance), this.balanceValue as bigint)
    }
  }
}

function fullOrUndefined(write: LocalWrite | undefined): bigint | undefined {
  return write !== undefined && !write.delta ? write.value : undefined
}

export function codeHashToValue(hash: Uint8Array): bigint {
  const value = bytesToBigInt(hash)
  return value === KECCAK_NULL_BIGINT ? 0n : value
}

function toStorageBytes(value: bigint): Uint8Array {
  return value === 0n ? new Uint8Array() : bigIntToBytes(value)
}
