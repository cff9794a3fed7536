/**
 * Block assembly after execution, the same for both executors: finalized
 * transactions are taken in block order, which gives the receipts their
 * cumulative gas and the block its gasUsed, receiptsRoot, logsBloom and state
 * diff. This is what makes out-of-order execution produce exactly what
 * `runBlock` would. Everything costly was done per transaction beforehand.
 */
import { RLP } from "@ethereumjs/rlp"
import { bigIntToUnpaddedBytes, concatBytes } from "@ethereumjs/util"

import type { FinalTx } from "./finalize.js"
import { LazyAccessSet } from "./finalize.js"
import { InvalidBlockError, applyPostTransactions } from "./frame.js"
import { Field, accountKey, keyFromId, storageKey } from "./keys.js"
import { BlockOverlay, type WriteEntry } from "./overlay.js"
import { orderedTrieRoot } from "./trie.js"
import { stateTrieOf, type StateTrie } from "./stateRoot.js"
import type { AccountChange, BlockInput, BlockResult, ExecutionStats, Hex, Log, Receipt, StateDiff, TxResult } from "./types.js"
import type { BlockVm } from "./vm.js"
import { WorldState, bytesToHex, hashToHex, hexToBytes, type StateReader } from "./worldState.js"

export interface AssemblyOptions {
  readonly recordAccess: boolean
  /** Record call frames and slot-hash preimages (TxResult.trace). */
  readonly trace?: boolean
  readonly invalidTransactions: "throw" | "exclude"
  /** Compute the post-state root (and, before Byzantium, each receipt's intermediate root). */
  readonly stateRoot?: boolean
}

const EMPTY_BLOOM = bytesToHex(new Uint8Array(256))

export class BlockAssembler {
  /** The block's state so far; the sequential executor reads from it directly. */
  readonly overlay: BlockOverlay
  private readonly results: TxResult[] = []
  private readonly encodedReceipts: Uint8Array[] = []
  private readonly logs: (readonly Log[])[] = []
  private readonly bloom = new Uint8Array(256)
  private cumulativeGas = 0n
  private blockGas = 0n
  private readonly byzantium: boolean
  /** Before Byzantium with stateRoot: each included transaction's own diff, for its receipt's root. */
  private readonly perTxDiffs: StateDiff[] = []
  /** System writes before the first transaction (the DAO fork), part of its intermediate root. */
  private preTransactionDiff: StateDiff | undefined
  private readonly preByzantiumReceipts: FinalTx[] = []
  private readonly cumulativeGasOf: bigint[] = []

  constructor(
    private readonly vm: BlockVm,
    private readonly base: StateReader,
    private readonly block: BlockInput,
    private readonly options: AssemblyOptions,
  ) {
    this.overlay = new BlockOverlay(base)
    this.byzantium = vm.common.gteHardfork("byzantium")
  }

  /** Notes the system writes applied before the transactions (see frame.ts). */
  preTransactions(writeIds: readonly string[]): void {
    if (!this.byzantium && this.options.stateRoot === true && writeIds.length > 0) this.preTransactionDiff = this.transactionDiff(writeIds)
  }

  add(tx: FinalTx): void {
    const index = tx.index
    if (!tx.valid) {
      if (this.options.invalidTransactions === "throw") {
        throw new InvalidBlockError(`transaction ${index} is invalid: ${tx.invalidReason}`, index)
      }
      this.results.push(this.excluded(tx))
      return
    }
    if (this.blockGas + tx.gasLimit > this.block.header.gasLimit) {
      throw new InvalidBlockError(`transaction ${index} has a higher gas limit than the block has left`, index)
    }

    const { writeIds, writeNew, writeOld, writeDelta } = tx.access
    for (let i = 0; i < writeIds.length; i++) {
      if (writeDelta[i] !== true) continue
      const old = this.overlay.read(keyFromId(writeIds[i] as string))
      writeOld[i] = old
      writeNew[i] = old + (writeNew[i] as bigint)
    }
    const writes: WriteEntry[] = writeIds.map((id, i) => [id, writeNew[i] as bigint, false])
    this.overlay.apply(writes, tx.codes)
    if (!this.byzantium && this.options.stateRoot === true) {
      this.perTxDiffs.push(this.transactionDiff(writeIds))
      this.preByzantiumReceipts.push(tx)
    }

    this.cumulativeGas += tx.gasUsed
    this.blockGas += tx.blockGasUsed
    const bloom = tx.bloom
    for (let i = 0; i < 256; i++) this.bloom[i] = (this.bloom[i] as number) | (bloom[i] as number)
    if (tx.logs.length > 0) this.logs.push(tx.logs)

    if (this.byzantium) this.encodedReceipts.push(encodeReceipt(tx, this.cumulativeGas))
    this.cumulativeGasOf.push(this.cumulativeGas)
    const receipt: Receipt = {
      type: tx.type,
      ...(this.byzantium ? { status: tx.status } : {}),
      cumulativeGasUsed: this.cumulativeGas,
      logsBloom: bytesToHex(bloom),
      logs: tx.logs,
    }
    this.results.push({
      index,
      hash: tx.hash,
      sender: tx.sender,
      included: true,
      receipt,
      gasUsed: tx.gasUsed,
      blockGasUsed: tx.blockGasUsed,
      returnValue: tx.returnValue,
      ...(tx.error !== undefined ? { error: tx.error } : {}),
      ...(tx.createdAddress !== undefined ? { createdAddress: tx.createdAddress } : {}),
      ...(tx.blobGasUsed !== undefined ? { blobGasUsed: tx.blobGasUsed } : {}),
      ...(tx.consoleLogs !== undefined ? { consoleLogs: tx.consoleLogs } : {}),
      ...(tx.trace !== undefined ? { trace: tx.trace } : {}),
      access: new LazyAccessSet(tx.access),
    })
  }

  async finish(stats: ExecutionStats): Promise<BlockResult> {
    let receiptsRoot: Hex | undefined
    if (this.byzantium) {
      receiptsRoot = bytesToHex(orderedTrieRoot(this.encodedReceipts))
    } else if (this.options.stateRoot === true) {
      receiptsRoot = this.preByzantiumReceiptsRoot()
    }
    const post = await applyPostTransactions(this.vm, this.overlay, this.block, this.logs.flat())
    const stateDiff = this.overlay.diff(this.base)
    return {
      transactions: this.results,
      gasUsed: this.blockGas,
      ...(receiptsRoot !== undefined ? { receiptsRoot } : {}),
      logsBloom: bytesToHex(this.bloom),
      stateDiff,
      ...(this.options.stateRoot === true ? { stateRoot: this.trie().apply(stateDiff).root } : {}),
      ...(post.requests !== undefined ? { requests: post.requests } : {}),
      ...(post.requestsHash !== undefined ? { requestsHash: post.requestsHash } : {}),
      stats,
    }
  }

  private trie(): StateTrie {
    if (!(this.base instanceof WorldState)) throw new Error("a state root needs the whole pre-state as a WorldState")
    return stateTrieOf(this.base)
  }

  /** Before Byzantium a receipt holds the state root after its transaction. */
  private preByzantiumReceiptsRoot(): Hex {
    const start = this.preTransactionDiff === undefined ? this.trie() : this.trie().apply(this.preTransactionDiff)
    const { roots } = start.rootsAfterEach(this.perTxDiffs)
    const encoded: Uint8Array[] = []
    let at = 0
    for (const result of this.results) {
      if (!result.included) continue
      const tx = this.preByzantiumReceipts[at] as FinalTx
      const root = roots[at] as Hex
      ;(result.receipt as { stateRoot?: Hex }).stateRoot = root
      encoded.push(encodeReceipt(tx, result.receipt.cumulativeGasUsed, hexToBytes(root)))
      at++
    }
    return bytesToHex(orderedTrieRoot(encoded))
  }

  /** One transaction's effect as absolute values of what it touched (after it ran). */
  private transactionDiff(writeIds: readonly string[]): StateDiff {
    const touched = new Map<Hex, { slots: Hex[]; wiped: boolean }>()
    for (const id of writeIds) {
      const address = id.slice(0, 42) as Hex
      let entry = touched.get(address)
      if (entry === undefined) touched.set(address, (entry = { slots: [], wiped: false }))
      if (id.length > 43) entry.slots.push(id.slice(42) as Hex)
      else if (id[42] === "x") entry.wiped = true
    }
    const diff = new Map<Hex, AccountChange>()
    for (const [address, { slots, wiped }] of touched) {
      const read = (field: Exclude<(typeof Field)[keyof typeof Field], 5>) => this.overlay.read(accountKey(address, field))
      if (read(Field.exists) === 0n) {
        diff.set(address, { address, deleted: true, storageCleared: true, storage: new Map() })
        continue
      }
      diff.set(address, {
        address,
        deleted: false,
        nonce: read(Field.nonce),
        balance: read(Field.balance),
        codeHash: hashToHex(read(Field.code)),
        storageCleared: wiped,
        storage: new Map(slots.map((slot) => [slot, this.overlay.read(storageKey(address, slot))])),
      })
    }
    return diff
  }

  private excluded(tx: FinalTx): TxResult {
    return {
      index: tx.index,
      hash: tx.hash,
      sender: tx.sender,
      included: false,
      ...(tx.invalidReason !== undefined ? { invalidReason: tx.invalidReason } : {}),
      receipt: { type: tx.type, cumulativeGasUsed: this.cumulativeGas, logsBloom: EMPTY_BLOOM, logs: [] },
      gasUsed: 0n,
      blockGasUsed: 0n,
      returnValue: "0x",
      access: new LazyAccessSet({ readIds: [], readValues: [], writeIds: [], writeOld: [], writeNew: [], writeDelta: [] }),
    }
  }
}

/**
 * A receipt: [status or (before Byzantium) state root, cumulative gas, bloom,
 * logs], EIP-2718 typed when needed.
 */
function encodeReceipt(tx: FinalTx, cumulativeGas: bigint, stateRoot?: Uint8Array): Uint8Array {
  const payload = concatBytes(
    RLP.encode(stateRoot ?? (tx.status === 1 ? Uint8Array.of(1) : new Uint8Array())),
    RLP.encode(bigIntToUnpaddedBytes(cumulativeGas)),
    RLP.encode(tx.bloom),
    tx.encodedLogs,
  )
  const list = concatBytes(listHeader(payload.length), payload)
  return tx.type === 0 ? list : concatBytes(Uint8Array.of(tx.type), list)
}

function listHeader(length: number): Uint8Array {
  if (length < 56) return Uint8Array.of(0xc0 + length)
  const bytes: number[] = []
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256)
  return Uint8Array.of(0xf7 + bytes.length, ...bytes)
}
