/**
 * Turning one execution's outcome into what block assembly needs: the
 * transaction hash, logs in hex and pre-encoded for the receipt, and every
 * write with the value it replaced (credits resolved into full values).
 * The parallel workers do this for their final incarnations, in parallel, so
 * that what is left on the main thread is a cheap pass in block order.
 *
 * Access sets travel compactly (parallel arrays) and become objects only when
 * someone reads `TxResult.access`.
 */
import { RLP, type NestedUint8Array } from "@ethereumjs/rlp"

import { keccak256 } from "./crypto.js"
import { keyFromId, toStateKey } from "./keys.js"
import type { AccessRead, AccessSet, AccessWrite, Hex, Log, TxTrace } from "./types.js"
import type { RawLog, TxOutcome } from "./vm.js"
import { bytesToHex } from "./worldState.js"

export interface CompactAccess {
  readonly readIds: readonly string[]
  readonly readValues: readonly bigint[]
  readonly writeIds: readonly string[]
  /**
   * Old and new value of each write. A credit arrives with only its amount in
   * `writeNew`; assembly, which walks the block in order, fills in both.
   */
  readonly writeOld: bigint[]
  readonly writeNew: bigint[]
  /** Whether each write was a credit (delta = new - old). */
  readonly writeDelta: readonly boolean[]
}

/** One executed transaction, ready for assembly. Plain data (crosses threads). */
export interface FinalTx {
  readonly index: number
  readonly hash: Hex
  readonly type: number
  readonly sender: Hex
  readonly gasLimit: bigint
  readonly valid: boolean
  readonly invalidReason?: string
  readonly status: 0 | 1
  readonly gasUsed: bigint
  readonly blockGasUsed: bigint
  readonly logs: readonly Log[]
  readonly bloom: Uint8Array
  /** RLP of the logs, as they go into the receipt. */
  readonly encodedLogs: Uint8Array
  readonly returnValue: Hex
  readonly error?: string
  readonly createdAddress?: Hex
  readonly blobGasUsed?: bigint
  /** All writes with old and new values; reads only when access recording is on. */
  readonly access: CompactAccess
  readonly codes: ReadonlyArray<readonly [bigint, Uint8Array]>
  readonly consoleLogs?: readonly Hex[]
  readonly trace?: TxTrace
}

/**
 * `oldValue(id)` must give the key's value before this transaction (as the
 * block stands below it); it is asked only for keys written without being
 * read, which are rare. Reads are kept only when `recordReads`.
 */
export function finalize(outcome: TxOutcome, raw: Uint8Array, oldValue: (id: string) => bigint, recordReads: boolean): FinalTx {
  const writeIds: string[] = []
  const writeOld: bigint[] = []
  const writeNew: bigint[] = []
  const writeDelta: boolean[] = []
  for (const [id, value, delta, old] of outcome.writes) {
    writeIds.push(id)
    writeOld.push(delta ? 0n : (old ?? oldValue(id)))
    writeNew.push(value)
    writeDelta.push(delta)
  }
  const readIds: string[] = []
  const readValues: bigint[] = []
  if (recordReads) {
    for (const [id, value] of outcome.reads) {
      readIds.push(id)
      readValues.push(value)
    }
  }
  return {
    index: outcome.index,
    hash: bytesToHex(keccak256(raw)),
    type: raw.length > 0 && (raw[0] as number) < 0x7f ? (raw[0] as number) : 0,
    sender: outcome.sender,
    gasLimit: outcome.gasLimit,
    valid: outcome.valid,
    ...(outcome.invalidReason !== undefined ? { invalidReason: outcome.invalidReason } : {}),
    status: outcome.status,
    gasUsed: outcome.gasUsed,
    blockGasUsed: outcome.blockGasUsed,
    logs: outcome.logs.map(toLog),
    bloom: outcome.bloom,
    encodedLogs: RLP.encode(outcome.logs as unknown as NestedUint8Array),
    returnValue: bytesToHex(outcome.returnValue),
    ...(outcome.error !== undefined ? { error: outcome.error } : {}),
    ...(outcome.createdAddress !== undefined ? { createdAddress: outcome.createdAddress } : {}),
    ...(outcome.blobGasUsed !== undefined ? { blobGasUsed: outcome.blobGasUsed } : {}),
    access: { readIds, readValues, writeIds, writeOld, writeNew, writeDelta },
    codes: outcome.codes,
    ...(outcome.consoleLogs !== undefined ? { consoleLogs: outcome.consoleLogs.map(bytesToHex) } : {}),
    ...(outcome.trace !== undefined ? { trace: outcome.trace } : {}),
  }
}

function toLog([address, topics, data]: RawLog): Log {
  return { address: bytesToHex(address), topics: topics.map(bytesToHex), data: bytesToHex(data) }
}

/** `TxResult.access`, materialized on first use. */
export class LazyAccessSet implements AccessSet {
  private cachedReads: AccessRead[] | undefined
  private cachedWrites: AccessWrite[] | undefined

  constructor(private readonly compact: CompactAccess) {}

  get reads(): readonly AccessRead[] {
    this.cachedReads ??= this.compact.readIds.map((id, i) => ({
      key: toStateKey(keyFromId(id)),
      value: this.compact.readValues[i] as bigint,
    }))
    return this.cachedReads
  }

  get writes(): readonly AccessWrite[] {
    const c = this.compact
    this.cachedWrites ??= c.writeIds.map((id, i) => {
      const old = c.writeOld[i] as bigint
      const value = c.writeNew[i] as bigint
      return c.writeDelta[i] === true
        ? { key: toStateKey(keyFromId(id)), old, new: value, delta: value - old }
        : { key: toStateKey(keyFromId(id)), old, new: value }
    })
    return this.cachedWrites
  }

  toJSON(): AccessSet {
    return { reads: this.reads, writes: this.writes }
  }
}
