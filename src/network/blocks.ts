/**
 * Mined blocks and how they look over JSON-RPC. A block keeps its ethereumjs
 * header (for the hash and the next base fee), its transactions with their
 * engine results, and the chain-state position after it (for historical
 * reads). The formatters produce the same fields, names and encodings as
 * Hardhat's EDR network.
 */
import { createBlockHeader, type BlockHeader, type HeaderData } from "@ethereumjs/block"
import type { Common } from "@ethereumjs/common"
import { RLP } from "@ethereumjs/rlp"
import { createTxFromRLP } from "@ethereumjs/tx"

import type { Hex, Log, TxResult } from "../engine/types.js"
import { fakeSignatureValue } from "./accounts.js"
import { toData, toQuantity } from "./values.js"

/**
 * A transaction's result as a block keeps it: without its access set and call
 * frames, which go to the run record once (see record.ts) and would otherwise
 * be held twice for the whole session (about 5 KB a transaction).
 */
export type MinedResult = Omit<TxResult, "access" | "trace">

export interface MinedTransaction {
  readonly raw: Uint8Array
  readonly sender: Hex
  readonly result: MinedResult
}

export interface MinedBlock {
  readonly number: bigint
  readonly hash: Hex
  readonly header: BlockHeader
  readonly transactions: readonly MinedTransaction[]
  /** ChainState position before this block's own changes: the state of the block before it. */
  readonly parentStatePosition: number
  readonly size: bigint
}

export const EMPTY_TRIE_ROOT: Hex = "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
export const EMPTY_REQUESTS_HASH: Hex = "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

export function buildHeader(common: Common, data: HeaderData): BlockHeader {
  return createBlockHeader(data, { common, skipConsensusFormatValidation: true, freeze: false })
}

/** The RLP length of the block, as `size` reports it. */
function blockSize(header: BlockHeader, raws: readonly Uint8Array[], withdrawals: boolean): bigint {
  const txs = raws.map((raw) => ((raw[0] as number) >= 0xc0 ? RLP.decode(raw) : raw))
  const body = withdrawals ? [header.raw(), txs, [], []] : [header.raw(), txs, []]
  return BigInt(RLP.encode(body as never).length)
}

/** A mined (or pending) block; its `size` is worked out when first read (re-encoding costs about 25 us a block, and few ask). */
export function minedBlock(fields: Omit<MinedBlock, "number" | "hash" | "size">): MinedBlock {
  const { header, transactions } = fields
  let size: bigint | undefined
  return {
    ...fields,
    number: header.number,
    hash: toData(header.hash()),
    get size(): bigint {
      size ??= blockSize(
        header,
        transactions.map((t) => t.raw),
        header.common.isActivatedEIP(4895),
      )
      return size
    },
  }
}

/**
 * The hashes BLOCKHASH sees from one block: those of the (at most 256) blocks
 * before it, as a read-only map over an array. Moving the window along one
 * block copies 256 strings instead of rebuilding a map of bigint keys (about
 * 18 us a block). Never mutated once made; the engine turns it into a plain
 * Map before a block crosses to worker threads.
 */
export class BlockHashWindow implements ReadonlyMap<bigint, Hex> {
  /** `hashes[i]` is the hash of block `first + i`. */
  private constructor(
    private readonly first: bigint,
    private readonly hashes: readonly Hex[],
  ) {}

  /** The window of block `number`, reading each hash from `hashOf`. */
  static before(number: bigint, hashOf: (number: bigint) => Hex): BlockHashWindow {
    const first = number > 256n ? number - 256n : 0n
    const hashes: Hex[] = []
    for (let n = first; n < number; n++) hashes.push(hashOf(n))
    return new BlockHashWindow(first, hashes)
  }

  /** The window of the next block, whose parent has hash `parentHash`. */
  next(parentHash: Hex): BlockHashWindow {
    const hashes = this.hashes.length === 256 ? this.hashes.slice(1) : this.hashes.slice()
    hashes.push(parentHash)
    return new BlockHashWindow(this.hashes.length === 256 ? this.first + 1n : this.first, hashes)
  }

  get size(): number {
    return this.hashes.length
  }

  get(number: bigint): Hex | undefined {
    return number >= this.first ? this.hashes[Number(number - this.first)] : undefined
  }

  has(number: bigint): boolean {
    return this.get(number) !== undefined
  }

  *entries(): MapIterator<[bigint, Hex]> {
    for (let i = 0; i < this.hashes.length; i++) yield [this.first + BigInt(i), this.hashes[i] as Hex]
  }

  *keys(): MapIterator<bigint> {
    for (const [number] of this.entries()) yield number
  }

  *values(): MapIterator<Hex> {
    yield* this.hashes
  }

  [Symbol.iterator](): MapIterator<[bigint, Hex]> {
    return this.entries()
  }

  forEach(callback: (hash: Hex, number: bigint, map: ReadonlyMap<bigint, Hex>) => void): void {
    for (const [number, hash] of this.entries()) callback(hash, number, this)
  }
}

function headerFields(header: BlockHeader): Record<string, unknown> {
  const common = header.common
  return {
    parentHash: toData(header.parentHash),
    sha3Uncles: toData(header.uncleHash),
    stateRoot: toData(header.stateRoot),
    transactionsRoot: toData(header.transactionsTrie),
    receiptsRoot: toData(header.receiptTrie),
    number: toQuantity(header.number),
    gasUsed: toQuantity(header.gasUsed),
    gasLimit: toQuantity(header.gasLimit),
    extraData: toData(header.extraData),
    logsBloom: toData(header.logsBloom),
    timestamp: toQuantity(header.timestamp),
    difficulty: toQuantity(header.difficulty),
    totalDifficulty: toQuantity(header.difficulty),
    uncles: [],
    mixHash: toData(header.mixHash),
    nonce: toData(header.nonce),
    ...(common.isActivatedEIP(1559) ? { baseFeePerGas: toQuantity(header.baseFeePerGas ?? 0n) } : {}),
    miner: toData(header.coinbase.bytes),
    ...(common.isActivatedEIP(4895) ? { withdrawals: [], withdrawalsRoot: toData(header.withdrawalsRoot ?? new Uint8Array()) } : {}),
    ...(common.isActivatedEIP(4844)
      ? { blobGasUsed: toQuantity(header.blobGasUsed ?? 0n), excessBlobGas: toQuantity(header.excessBlobGas ?? 0n) }
      : {}),
    ...(common.isActivatedEIP(4788) ? { parentBeaconBlockRoot: toData(header.parentBeaconBlockRoot ?? new Uint8Array(32)) } : {}),
    ...(common.isActivatedEIP(7685) ? { requestsHash: toData(header.requestsHash ?? new Uint8Array(32)) } : {}),
  }
}

export function formatBlock(block: MinedBlock, fullTransactions: boolean, common: Common): Record<string, unknown> {
  const fields = headerFields(block.header)
  return {
    hash: block.hash,
    ...fields,
    size: toQuantity(block.size),
    transactions: fullTransactions
      ? block.transactions.map((tx, i) => formatTransaction(tx, block, i, common))
      : block.transactions.map((tx) => tx.result.hash),
  }
}

/** Whether r and s are the fake signature of an impersonated sender (see signTransaction). */
function isFakeSignature(r: unknown, s: unknown, sender: Hex): boolean {
  return typeof r === "string" && r === s && BigInt(r) === fakeSignatureValue(sender)
}

/** A transaction as eth_getTransactionByHash returns it; `block` undefined while pending. */
export function formatTransaction(
  tx: { readonly raw: Uint8Array; readonly sender: Hex; readonly result?: MinedResult },
  block: MinedBlock | undefined,
  index: number,
  common: Common,
): Record<string, unknown> {
  const decoded = createTxFromRLP(tx.raw, { common })
  const json = decoded.toJSON() as Record<string, unknown>
  const type = decoded.type
  const baseFee = block?.header.baseFeePerGas
  const hash = tx.result?.hash ?? toData(decoded.hash())
  let gasPrice = json.gasPrice as Hex | undefined
  if (type >= 2) {
    const maxFee = BigInt(json.maxFeePerGas as string)
    const tip = BigInt(json.maxPriorityFeePerGas as string)
    gasPrice = toQuantity(baseFee === undefined ? maxFee : maxFee < baseFee + tip ? maxFee : baseFee + tip)
  }
  return {
    hash,
    nonce: json.nonce,
    blockHash: block?.hash ?? null,
    blockNumber: block !== undefined ? toQuantity(block.number) : null,
    transactionIndex: block !== undefined ? toQuantity(index) : null,
    from: tx.sender,
    to: json.to ?? null,
    value: json.value,
    gasPrice,
    gas: json.gasLimit,
    input: json.data,
    // As EDR: no chainId field for legacy transactions (it is in v), and no yParity (it is v).
    ...(type > 0 ? { chainId: json.chainId } : {}),
    type: toQuantity(type),
    ...(type > 0 ? { accessList: json.accessList } : {}),
    ...(type >= 2 ? { maxFeePerGas: json.maxFeePerGas, maxPriorityFeePerGas: json.maxPriorityFeePerGas } : {}),
    ...(type === 3 ? { maxFeePerBlobGas: json.maxFeePerBlobGas, blobVersionedHashes: json.blobVersionedHashes } : {}),
    ...(type === 4 ? { authorizationList: json.authorizationList } : {}),
    // EDR reports an impersonated typed transaction's fake signature (r = s = the sender) with v = 28.
    v: type > 0 && isFakeSignature(json.r, json.s, tx.sender) ? "0x1c" : json.v,
    r: json.r,
    s: json.s,
  }
}

export function formatLog(log: Log, tx: MinedTransaction, block: MinedBlock, transactionIndex: number, logIndex: number): Record<string, unknown> {
  return {
    address: log.address,
    topics: log.topics,
    data: log.data,
    transactionHash: tx.result.hash,
    blockHash: block.hash,
    blockNumber: toQuantity(block.number),
    blockTimestamp: toQuantity(block.header.timestamp),
    logIndex: toQuantity(logIndex),
    transactionIndex: toQuantity(transactionIndex),
    removed: false,
  }
}

/** The block-wide index of the first log of transaction `index`. */
export function firstLogIndex(block: MinedBlock, index: number): number {
  let count = 0
  for (let i = 0; i < index; i++) count += (block.transactions[i] as MinedTransaction).result.receipt.logs.length
  return count
}

export function formatReceipt(block: MinedBlock, index: number, common: Common): Record<string, unknown> {
  const tx = block.transactions[index] as MinedTransaction
  const result = tx.result
  const firstLog = firstLogIndex(block, index)
  const decoded = createTxFromRLP(tx.raw, { common })
  const baseFee = block.header.baseFeePerGas ?? 0n
  let effectiveGasPrice: bigint
  if (decoded.type >= 2) {
    const maxFee = (decoded as { maxFeePerGas: bigint }).maxFeePerGas
    const tip = (decoded as { maxPriorityFeePerGas: bigint }).maxPriorityFeePerGas
    effectiveGasPrice = maxFee < baseFee + tip ? maxFee : baseFee + tip
  } else {
    effectiveGasPrice = (decoded as { gasPrice: bigint }).gasPrice
  }
  return {
    blockHash: block.hash,
    blockNumber: toQuantity(block.number),
    transactionHash: result.hash,
    transactionIndex: toQuantity(index),
    type: toQuantity(result.receipt.type),
    from: tx.sender,
    to: decoded.to !== undefined ? decoded.to.toString() : null,
    cumulativeGasUsed: toQuantity(result.receipt.cumulativeGasUsed),
    gasUsed: toQuantity(result.gasUsed),
    // EDR: no contract address when the creation failed.
    contractAddress: result.receipt.status === 0 ? null : (result.createdAddress ?? null),
    logs: result.receipt.logs.map((log, i) => formatLog(log, tx, block, index, firstLog + i)),
    logsBloom: result.receipt.logsBloom,
    ...(result.receipt.status !== undefined ? { status: toQuantity(result.receipt.status) } : { root: result.receipt.stateRoot ?? null }),
    effectiveGasPrice: toQuantity(effectiveGasPrice),
    ...(result.blobGasUsed !== undefined ? { blobGasUsed: toQuantity(result.blobGasUsed), blobGasPrice: toQuantity(block.header.getBlobGasPrice()) } : {}),
  }
}
