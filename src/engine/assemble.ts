/**
 * Block assembly after execution, the same for both executors: transaction
 * outcomes are applied in block order over the pre-state, which gives each
 * write its old value, the receipts their cumulative gas, and the block its
 * gasUsed, receiptsRoot, logsBloom and state diff. This is what makes
 * out-of-order execution produce exactly what `runBlock` would.
 */
import { encodeReceipt } from "@ethereumjs/vm"
import type { TxReceipt } from "@ethereumjs/vm"
import { keccak_256 } from "@noble/hashes/sha3.js"

import { InvalidBlockError, applyPostTransactions } from "./frame.js"
import { keyFromId, toStateKey, type KeyRef } from "./keys.js"
import { BlockOverlay } from "./overlay.js"
import { orderedTrieRoot } from "./trie.js"
import type {
  AccessRead,
  AccessWrite,
  BlockInput,
  BlockResult,
  ExecutionStats,
  Hex,
  Log,
  Receipt,
  TxResult,
} from "./types.js"
import type { BlockVm, RawLog, TxOutcome } from "./vm.js"
import { bytesToHex, type StateReader } from "./worldState.js"

export interface AssemblyOptions {
  readonly recordAccess: boolean
  readonly invalidTransactions: "throw" | "exclude"
}

export class BlockAssembler {
  /** The block's state so far; the sequential executor reads from it directly. */
  readonly overlay: BlockOverlay
  private readonly results: TxResult[] = []
  private readonly encodedReceipts: Uint8Array[] = []
  private readonly allLogs: RawLog[] = []
  private readonly bloom = new Uint8Array(256)
  private cumulativeGas = 0n
  private blockGas = 0n

  constructor(
    private readonly vm: BlockVm,
    private readonly base: StateReader,
    private readonly block: BlockInput,
    private readonly options: AssemblyOptions,
  ) {
    this.overlay = new BlockOverlay(base)
  }

  add(outcome: TxOutcome): void {
    const index = outcome.index
    const raw = this.block.transactions[index]?.raw ?? new Uint8Array()
    const hash = bytesToHex(keccak_256(raw))
    const type = raw.length > 0 && (raw[0] as number) < 0x7f ? (raw[0] as number) : 0
    if (this.blockGas + outcome.gasLimit > this.block.header.gasLimit && outcome.valid) {
      throw new InvalidBlockError(`transaction ${index} has a higher gas limit than the block has left`, index)
    }
    if (!outcome.valid) {
      if (this.options.invalidTransactions === "throw") {
        throw new InvalidBlockError(`transaction ${index} is invalid: ${outcome.invalidReason}`, index)
      }
      this.results.push(this.excluded(outcome, hash, type))
      return
    }

    const writes: AccessWrite[] = []
    const record = this.options.recordAccess
    this.overlay.apply(
      outcome.writes,
      outcome.codes,
      record
        ? (key: KeyRef, old: bigint, value: bigint, delta: boolean) =>
            writes.push(delta ? { key: toStateKey(key), old, new: value, delta: value - old } : { key: toStateKey(key), old, new: value })
        : undefined,
    )
    const reads: AccessRead[] = record ? outcome.reads.map(([id, value]) => ({ key: toStateKey(keyFromId(id)), value })) : []

    this.cumulativeGas += outcome.gasUsed
    this.blockGas += outcome.blockGasUsed
    for (let i = 0; i < 256; i++) this.bloom[i] = (this.bloom[i] as number) | (outcome.bloom[i] as number)
    for (const log of outcome.logs) this.allLogs.push(log)

    const byzantium = this.vm.common.gteHardfork("byzantium")
    const receipt: Receipt = {
      type,
      ...(byzantium ? { status: outcome.status } : {}),
      cumulativeGasUsed: this.cumulativeGas,
      logsBloom: bytesToHex(outcome.bloom),
      logs: outcome.logs.map(toLog),
    }
    if (byzantium) {
      const ethjsReceipt = {
        status: outcome.status,
        cumulativeBlockGasUsed: this.cumulativeGas,
        bitvector: outcome.bloom,
        logs: outcome.logs,
      } as unknown as TxReceipt
      this.encodedReceipts.push(encodeReceipt(ethjsReceipt, type as 0))
    }
    this.results.push({
      index,
      hash,
      sender: outcome.sender,
      included: true,
      receipt,
      gasUsed: outcome.gasUsed,
      blockGasUsed: outcome.blockGasUsed,
      returnValue: bytesToHex(outcome.returnValue),
      ...(outcome.error !== undefined ? { error: outcome.error } : {}),
      ...(outcome.createdAddress !== undefined ? { createdAddress: outcome.createdAddress } : {}),
      ...(outcome.blobGasUsed !== undefined ? { blobGasUsed: outcome.blobGasUsed } : {}),
      access: { reads, writes },
    })
  }

  async finish(stats: ExecutionStats): Promise<BlockResult> {
    const post = await applyPostTransactions(this.vm, this.overlay, this.block, this.allLogs)
    const byzantium = this.vm.common.gteHardfork("byzantium")
    return {
      transactions: this.results,
      gasUsed: this.blockGas,
      ...(byzantium ? { receiptsRoot: bytesToHex(orderedTrieRoot(this.encodedReceipts)) } : {}),
      logsBloom: bytesToHex(this.bloom),
      stateDiff: this.overlay.diff(this.base),
      ...(post.requests !== undefined ? { requests: post.requests } : {}),
      ...(post.requestsHash !== undefined ? { requestsHash: post.requestsHash } : {}),
      stats,
    }
  }

  private excluded(outcome: TxOutcome, hash: Hex, type: number): TxResult {
    return {
      index: outcome.index,
      hash,
      sender: outcome.sender,
      included: false,
      ...(outcome.invalidReason !== undefined ? { invalidReason: outcome.invalidReason } : {}),
      receipt: { type, cumulativeGasUsed: this.cumulativeGas, logsBloom: bytesToHex(new Uint8Array(256)), logs: [] },
      gasUsed: 0n,
      blockGasUsed: 0n,
      returnValue: "0x",
      access: { reads: [], writes: [] },
    }
  }
}

function toLog([address, topics, data]: RawLog): Log {
  return { address: bytesToHex(address), topics: topics.map(bytesToHex), data: bytesToHex(data) }
}
