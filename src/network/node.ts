/**
 * The local chain behind the provider: blocks, state history, the mempool,
 * mining, time and snapshots. Every block of more than one transaction goes
 * through the parallel engine; automined blocks (one transaction each) run
 * sequentially in-process. Every mined transaction's access set is kept, with
 * its block, contract and 4-byte selector, for the report.
 *
 * The node knows JSON-RPC only through the errors it throws; parsing and
 * formatting live in `rpc.ts`.
 */
import type { BlockHeader } from "@ethereumjs/block"
import type { Common } from "@ethereumjs/common"
import { createTxFromRLP, getMinimumGasLimit, type TypedTransaction } from "@ethereumjs/tx"
import { createAddressFromString, toChecksumAddress } from "@ethereumjs/util"
import { availableParallelism } from "node:os"
import { randomBytes, randomUUID } from "node:crypto"

import { keccak256 } from "../engine/crypto.js"
import {
  BEACON_ROOTS_ADDRESS,
  BEACON_ROOTS_CODE,
  commonFor,
  executeBlock,
  executeSequential,
  executeCall,
  executorFor,
  intrinsicGasOf,
  orderedTrieRoot,
  replayTransaction,
  stateTrieOf,
  sufficesAt,
  type AccountChange,
  type BlockInput,
  type BlockResult,
  type CallRequest,
  type ChainConfig,
  type Hex,
  type RunOptions,
  type StateReader,
  type TxInput,
  type TxResult,
} from "../engine/index.js"
import type { TxOutcome } from "../engine/vm.js"
import { Field, accountKey, storageKey } from "../engine/keys.js"
import { localAccounts, signedTransaction, type LocalAccount, type TransactionFields } from "./accounts.js"
import { BlockHashWindow, EMPTY_REQUESTS_HASH, EMPTY_TRIE_ROOT, buildHeader, minedBlock, type MinedBlock, type MinedTransaction } from "./blocks.js"
import { ChainState, PendingState, mergeDiffInto } from "./chainState.js"
import { EIP7825_GAS_CAP, type NodeConfig } from "./config.js"
import { formatConsoleLog } from "./consoleLog.js"
import { InvalidInputError, InvalidParamsError } from "./errors.js"
import { Mempool, MempoolError, type PooledTx } from "./mempool.js"
import { SessionRecorder, type MinedForRecord } from "./record.js"
import { executionError, invalidCallMessage } from "./revert.js"
import { hexToBytes, toData } from "./values.js"

const GWEI = 1_000_000_000n
export const DEFAULT_PRIORITY_FEE = GWEI

interface Snapshot {
  readonly blocks: number
  readonly statePosition: number
  readonly mempool: ReturnType<Mempool["snapshot"]>
  readonly timeOffset: bigint
  readonly nextTimestamp: bigint | undefined
  readonly nextBaseFee: bigint | undefined
  readonly blockGasLimit: bigint
  readonly coinbase: Hex
}

/** The block mining now would make, and the state after it (the "pending" tag). */
export interface PendingBlock {
  readonly block: MinedBlock
  readonly state: StateReader
}

/** A transaction request as eth_sendTransaction gives it, parsed. */
export interface TransactionRequest extends Omit<CallRequest, "gasLimit"> {
  readonly gasLimit?: bigint
  readonly type?: number
}

/** The transactions a block run included, with their results (less what the run record keeps), in block order. */
function includedOf(transactions: readonly TxInput[], result: BlockResult): MinedTransaction[] {
  const included: MinedTransaction[] = []
  for (const tx of result.transactions) {
    if (!tx.included) continue
    const { access: _access, trace: _trace, ...kept } = tx
    included.push({ raw: (transactions[tx.index] as TxInput).raw, sender: tx.sender, result: kept })
  }
  return included
}

export class Node {
  readonly config: NodeConfig
  readonly chain: ChainConfig
  readonly accounts: readonly LocalAccount[]
  readonly instanceId: Hex
  private readonly keys = new Map<Hex, LocalAccount>()
  readonly state = new ChainState()
  private readonly blocks: MinedBlock[] = []
  private readonly blockNumberByHash = new Map<Hex, bigint>()
  private readonly txLocation = new Map<Hex, { readonly block: bigint; readonly index: number }>()
  readonly mempool: Mempool
  private readonly impersonated = new Set<Hex>()
  private readonly snapshots = new Map<number, Snapshot>()
  private nextSnapshotId = 1
  /** What every mined block and transaction did, for the report (see record.ts). */
  recorder: SessionRecorder
  /** Keep access sets, call frames and slot preimages (block stats are always kept). */
  recording: boolean
  automine: boolean
  private intervalTimer: NodeJS.Timeout | undefined
  private timeOffset = 0n
  private nextTimestamp: bigint | undefined
  private nextBaseFee: bigint | undefined
  private nextPrevRandao: Hex | undefined
  private coinbase: Hex
  private blockGasLimit: bigint
  /** Called with every block once it is mined (filters listen). */
  onBlock: ((block: MinedBlock) => void) | undefined

  constructor(config: NodeConfig) {
    this.config = config
    // Hardhat's network lets contracts send (impersonated ones): no EIP-3607.
    this.chain = { chainId: config.chainId, hardfork: config.hardfork, allowUnlimitedContractSize: config.allowUnlimitedContractSize, allowSendersWithCode: true }
    this.accounts = localAccounts(config.accounts)
    for (const account of this.accounts) this.keys.set(account.address, account)
    this.mempool = new Mempool(config.mining.mempoolOrder)
    this.recording = config.recordAccess
    this.recorder = new SessionRecorder(randomUUID(), config.chainId, config.hardfork)
    this.automine = config.mining.auto
    this.coinbase = config.coinbase
    this.blockGasLimit = config.blockGasLimit
    this.instanceId = toData(randomBytes(32))
    this.genesis()
    this.setIntervalMining(config.mining.interval)
  }

  get common(): Common {
    return commonFor(this.chain, this.chain.hardfork)
  }

  // --- blocks ------------------------------------------------------------------------

  get latest(): MinedBlock {
    return this.blocks[this.blocks.length - 1] as MinedBlock
  }

  block(number: bigint): MinedBlock | undefined {
    return number < 0n || number >= BigInt(this.blocks.length) ? undefined : this.blocks[Number(number)]
  }

  blockByHash(hash: Hex): MinedBlock | undefined {
    const number = this.blockNumberByHash.get(hash)
    return number === undefined ? undefined : this.block(number)
  }

  transaction(hash: Hex): { block: MinedBlock; index: number } | undefined {
    const location = this.txLocation.get(hash)
    if (location === undefined) return undefined
    const block = this.block(location.block)
    return block === undefined ? undefined : { block, index: location.index }
  }

  /**
   * The state of block `number`: as Hardhat's network has it, that includes
   * direct changes (hardhat_setBalance...) made while it was the latest
   * block, so it is the state the next block started from, or the head.
   */
  stateAt(number: bigint): StateReader {
    if (this.block(number) === undefined) {
      throw new InvalidInputError(`Received invalid block number ${number}. Latest block number is ${this.latest.number}`)
    }
    const next = this.block(number + 1n)
    return next === undefined ? this.state.head : this.state.at(next.parentStatePosition)
  }

  private genesis(): void {
    const common = this.common
    const diff = new Map<Hex, AccountChange>(
      this.accounts.map((a) => [a.address, { address: a.address, deleted: false, nonce: 0n, balance: a.balance, storageCleared: false, storage: new Map<Hex, bigint>() }]),
    )
    // As on EDR, the beacon roots contract is there from genesis once EIP-4788 is active, so that
    // each block's system call stores the parent's root and contracts can read it.
    if (common.isActivatedEIP(4788) && !diff.has(BEACON_ROOTS_ADDRESS)) {
      const code = BEACON_ROOTS_CODE
      diff.set(BEACON_ROOTS_ADDRESS, { address: BEACON_ROOTS_ADDRESS, deleted: false, nonce: 0n, balance: 0n, codeHash: toData(keccak256(hexToBytes(code))), code, storageCleared: false, storage: new Map() })
    }
    this.state.apply(diff)
    const timestamp = this.config.initialDate !== undefined ? BigInt(Math.floor(this.config.initialDate.getTime() / 1000)) : this.now()
    if (this.config.initialDate !== undefined) this.timeOffset = timestamp - BigInt(Math.floor(Date.now() / 1000))
    const header = buildHeader(common, {
      number: 0n,
      timestamp,
      gasLimit: this.blockGasLimit,
      extraData: hexToBytes("0x1234"),
      stateRoot: hexToBytes(this.state.stateRoot()),
      mixHash: keccak256(hexToBytes(this.instanceId)),
      ...(common.isActivatedEIP(1559) ? { baseFeePerGas: this.config.initialBaseFeePerGas ?? GWEI } : {}),
      ...(common.isActivatedEIP(4895) ? { withdrawalsRoot: hexToBytes(EMPTY_TRIE_ROOT) } : {}),
      ...(common.isActivatedEIP(4844) ? { blobGasUsed: 0n, excessBlobGas: 0n } : {}),
      ...(common.isActivatedEIP(4788) ? { parentBeaconBlockRoot: new Uint8Array(32) } : {}),
      ...(common.isActivatedEIP(7685) ? { requestsHash: hexToBytes(EMPTY_REQUESTS_HASH) } : {}),
    })
    this.storeBlock(header, [], 0)
  }

  private storeBlock(header: BlockHeader, transactions: MinedTransaction[], parentStatePosition: number): MinedBlock {
    const block = minedBlock({ header, transactions, parentStatePosition })
    const hash = block.hash
    this.blocks.push(block)
    this.blockNumberByHash.set(hash, header.number)
    transactions.forEach((tx, index) => this.txLocation.set(tx.result.hash, { block: header.number, index }))
    this.onBlock?.(block)
    return block
  }

  // --- time ---------------------------------------------------------------------------

  private now(): bigint {
    return BigInt(Math.floor(Date.now() / 1000)) + this.timeOffset
  }

  increaseTime(seconds: bigint): bigint {
    this.timeOffset += seconds
    return this.timeOffset
  }

  setNextBlockTimestamp(timestamp: bigint): void {
    const parent = this.latest.header.timestamp
    if (timestamp < parent || (timestamp === parent && !this.config.allowBlocksWithSameTimestamp)) {
      throw new InvalidInputError(
        `Timestamp ${timestamp} is lower than or equal to previous block's timestamp ${parent}`,
      )
    }
    this.nextTimestamp = timestamp
  }

  /** The next block's timestamp, without using up a timestamp set for it. */
  private peekNextTimestamp(): bigint {
    if (this.nextTimestamp !== undefined) return this.nextTimestamp
    const parent = this.latest.header.timestamp
    const now = this.now()
    if (now > parent) return now
    return this.config.allowBlocksWithSameTimestamp ? parent : parent + 1n
  }

  /** The next block's timestamp; a timestamp set for it is used up, and the clock follows it. */
  private timestampForNextBlock(): bigint {
    const timestamp = this.peekNextTimestamp()
    if (this.nextTimestamp !== undefined) {
      this.nextTimestamp = undefined
      this.timeOffset = timestamp - BigInt(Math.floor(Date.now() / 1000))
    }
    return timestamp
  }

  // --- fees -----------------------------------------------------------------------------

  /** The base fee the next block will have (undefined before London). */
  nextBlockBaseFee(): bigint | undefined {
    if (!this.common.isActivatedEIP(1559)) return undefined
    return this.nextBaseFee ?? this.latest.header.calcNextBaseFee()
  }

  setNextBlockBaseFeePerGas(fee: bigint): void {
    if (!this.common.isActivatedEIP(1559)) throw new InvalidInputError("hardhat_setNextBlockBaseFeePerGas is disabled because EIP-1559 is not active")
    this.nextBaseFee = fee
  }

  gasPrice(): bigint {
    const base = this.nextBlockBaseFee()
    return base === undefined ? GWEI * 8n : base + DEFAULT_PRIORITY_FEE
  }

  /** The gas a transaction gets when it names none, as Hardhat's network does. */
  get defaultTransactionGasLimit(): bigint {
    const cap = this.transactionGasCap()
    return cap !== undefined && cap < this.blockGasLimit ? cap : this.blockGasLimit
  }

  private transactionGasCap(): bigint | undefined {
    if (this.config.transactionGasCap !== undefined) return this.config.transactionGasCap
    return this.common.isActivatedEIP(7825) ? EIP7825_GAS_CAP : undefined
  }

  // --- accounts and direct state changes -------------------------------------------------

  isLocal(address: Hex): boolean {
    return this.keys.has(address)
  }

  impersonate(address: Hex): void {
    this.impersonated.add(address)
  }

  stopImpersonating(address: Hex): boolean {
    return this.impersonated.delete(address)
  }

  account(address: Hex): LocalAccount | undefined {
    return this.keys.get(address)
  }

  read(key: Parameters<StateReader["read"]>[0], block?: bigint): bigint {
    return (block === undefined ? this.state.head : this.stateAt(block)).read(key)
  }

  nonceOf(address: Hex): bigint {
    return this.state.head.read(accountKey(address, Field.nonce))
  }

  /** The next nonce for a sender, counting its pending transactions. */
  pendingNonceOf(address: Hex): bigint {
    return this.mempool.nextNonce(address, this.nonceOf(address))
  }

  setAccount(address: Hex, change: { balance?: bigint; nonce?: bigint; code?: Uint8Array; storage?: [Hex, bigint] }): void {
    const head = this.state.head
    const exists = head.accounts.has(address)
    const codeHash =
      change.code === undefined ? undefined : change.code.length === 0 ? (`0x${"0".repeat(64)}` as Hex) : toData(keccak256(change.code))
    this.state.apply(
      new Map([
        [
          address,
          {
            address,
            deleted: false,
            ...(!exists ? { nonce: 0n, balance: 0n } : {}),
            ...(change.balance !== undefined ? { balance: change.balance } : {}),
            ...(change.nonce !== undefined ? { nonce: change.nonce } : {}),
            ...(codeHash !== undefined && change.code !== undefined ? { codeHash, code: toData(change.code) } : {}),
            storageCleared: false,
            storage: new Map(change.storage !== undefined ? [change.storage] : []),
          },
        ],
      ]),
    )
    // Like Hardhat's network: pending transactions the sender can no longer pay for are dropped.
    this.mempool.revalidate(
      (a) => this.nonceOf(a),
      (tx) => tx.gasLimit * tx.maxFeePerGas <= this.state.head.read(accountKey(tx.sender, Field.balance)) && tx.gasLimit <= this.blockGasLimit,
    )
  }

  /** The beneficiary of the next block (hardhat_setCoinbase changes it). */
  get currentCoinbase(): Hex {
    return this.coinbase
  }

  setCoinbase(address: Hex): void {
    this.coinbase = address
  }

  setBlockGasLimit(limit: bigint): void {
    if (limit <= 0n) throw new InvalidInputError("Block gas limit must be greater than 0")
    this.blockGasLimit = limit
  }

  setPrevRandao(value: Hex): void {
    this.nextPrevRandao = value
  }

  // --- transactions ------------------------------------------------------------------------

  /**
   * Signs (or, for an impersonated account, fake-signs) a request and sends it.
   * With automine the transaction is mined at once and a failure is thrown
   * (after mining) when `throwOnTransactionFailures`.
   */
  async sendTransaction(request: TransactionRequest): Promise<Hex> {
    const from = request.from
    const account = this.keys.get(from)
    if (account === undefined && !this.impersonated.has(from)) throw new InvalidInputError(`Unknown account ${toChecksumAddress(from)}`)
    const fields = await this.completeRequest(request)
    this.validate(fields, from)
    const signed = signedTransaction(this.common, fields, account ?? { impersonated: from })
    return this.submit({ raw: signed.serialize(), sender: from }, fields, true, signed)
  }

  async sendRawTransaction(raw: Uint8Array): Promise<Hex> {
    let tx: TypedTransaction
    try {
      // Unfrozen: the engine pins the sender on it and runs it as it is (see BlockVm.decode).
      tx = createTxFromRLP(raw, { common: this.common, freeze: false })
    } catch (error) {
      throw new InvalidParamsError(`Invalid transaction: ${(error as Error).message}`)
    }
    if (!tx.isSigned()) throw new InvalidInputError("Invalid transaction: it is not signed")
    let sender: Hex
    try {
      sender = tx.getSenderAddress().toString() as Hex
    } catch (error) {
      throw new InvalidInputError(`Invalid transaction signature: ${(error as Error).message}`)
    }
    return this.submit({ raw, sender }, fieldsOf(tx, sender), false, tx)
  }

  /**
   * Fills in what the request leaves out. A missing gas limit is estimated,
   * as Hardhat's own request handler does before a request reaches any
   * network, so blocks are packed by what transactions need.
   */
  private async completeRequest(request: TransactionRequest): Promise<TransactionFields> {
    const common = this.common
    const nonce = request.nonce ?? this.pendingNonceOf(request.from)
    const gasLimit = request.gasLimit ?? (await this.estimateOrDefault(request))
    const london = common.isActivatedEIP(1559)
    let type = request.type
    if (type === undefined) {
      if (request.authorizationList !== undefined) type = 4
      else if (request.blobVersionedHashes !== undefined) type = 3
      else if (request.maxFeePerGas !== undefined || request.maxPriorityFeePerGas !== undefined) type = 2
      else if (request.gasPrice !== undefined) type = request.accessList !== undefined ? 1 : 0
      else type = london ? 2 : request.accessList !== undefined && common.isActivatedEIP(2930) ? 1 : 0
    }
    const baseFee = this.nextBlockBaseFee() ?? 0n
    if (type >= 2) {
      const tip = request.maxPriorityFeePerGas ?? (request.maxFeePerGas !== undefined && request.maxFeePerGas < DEFAULT_PRIORITY_FEE ? request.maxFeePerGas : DEFAULT_PRIORITY_FEE)
      return {
        ...request,
        type,
        chainId: this.chain.chainId,
        nonce,
        gasLimit,
        maxPriorityFeePerGas: tip,
        maxFeePerGas: request.maxFeePerGas ?? 2n * baseFee + tip,
      }
    }
    return { ...request, type, chainId: this.chain.chainId, nonce, gasLimit, gasPrice: request.gasPrice ?? this.gasPrice() }
  }

  private async estimateOrDefault(request: TransactionRequest): Promise<bigint> {
    try {
      return await this.estimateGas(request, this.latest.number)
    } catch {
      return this.defaultTransactionGasLimit // the transaction will fail when mined, as it would with Hardhat
    }
  }

  /** Checks a transaction against the next block, with EDR's messages. */
  private validate(fields: TransactionFields, sender: Hex): void {
    const cap = this.transactionGasCap()
    if (cap !== undefined && fields.gasLimit > cap) {
      throw new InvalidInputError(`Transaction gas limit is ${fields.gasLimit} and exceeds transaction gas cap of ${cap}`)
    }
    if (fields.gasLimit > this.blockGasLimit) {
      throw new InvalidInputError(`Transaction gas limit is ${fields.gasLimit} and exceeds block gas limit of ${this.blockGasLimit}`)
    }
    const baseFee = this.nextBlockBaseFee()
    const maxFee = fields.maxFeePerGas ?? fields.gasPrice ?? 0n
    if (baseFee !== undefined && maxFee < baseFee && this.automine) {
      throw new InvalidInputError(
        `Transaction gasPrice (${maxFee}) is too low for the next block, which has a baseFeePerGas of ${baseFee}`,
      )
    }
    if (fields.maxPriorityFeePerGas !== undefined && fields.maxFeePerGas !== undefined && fields.maxPriorityFeePerGas > fields.maxFeePerGas) {
      throw new InvalidInputError(
        `maxPriorityFeePerGas (${fields.maxPriorityFeePerGas}) is bigger than maxFeePerGas (${fields.maxFeePerGas})`,
      )
    }
    // With automine, transactions left pending (sent while it was off) come first: the next nonce counts them (EDR).
    const expected = this.automine ? this.pendingNonceOf(sender) : this.nonceOf(sender)
    if (this.automine && fields.nonce !== expected) {
      const which = fields.nonce < expected ? "low" : "high"
      throw new InvalidInputError(
        `Nonce too ${which}. Expected nonce to be ${expected} but got ${fields.nonce}. Note that transactions can't be queued when automining.`,
      )
    }
    if (!this.automine && fields.nonce < expected) {
      throw new InvalidInputError(`Transaction nonce too low. Expected nonce to be at least ${expected} but got ${fields.nonce}.`)
    }
    const balance = this.state.head.read(accountKey(sender, Field.balance))
    const upfront = fields.gasLimit * maxFee + (fields.value ?? 0n)
    if (balance < upfront) {
      throw new InvalidInputError(
        `Sender doesn't have enough funds to send tx. The max upfront cost is: ${upfront} and the sender's balance is: ${balance}.`,
      )
    }
  }

  /**
   * Pools or (automine) mines a signed transaction. `validated`: it came from a
   * request, already checked against the next block. `decoded`: the same
   * transaction decoded, which an automined block runs as it is.
   */
  private async submit(input: TxInput, fields: TransactionFields, validated: boolean, decoded: TypedTransaction): Promise<Hex> {
    const sender = input.sender as Hex
    if (!validated) this.validate(fields, sender)
    this.checkIntrinsicGas(fields, sender, decoded, validated)
    const hash = toData(keccak256(input.raw))
    if (this.txLocation.has(hash) || this.mempool.has(hash)) throw new InvalidInputError(`Known transaction: ${hash}`)
    if (this.automine && this.mempool.size() === 0) {
      const block = await this.mineBlock([{ ...input, ...(fields.to !== undefined && (fields.value ?? 0n) > 0n ? { payee: fields.to } : {}) }], [decoded])
      const mined = block.transactions[0]
      // Say why the EVM refused it (e.g. EIP-3607 for a sender with code) instead of only that it did.
      if (mined === undefined) throw new InvalidInputError(`The transaction could not be included in a block: ${invalidCallMessage(this.lastExcluded.get(hash))}`)
      const result = mined.result
      if (result.receipt.status === 0 && this.config.throwOnTransactionFailures) {
        throw executionError(result.error ?? "revert", result.returnValue, result.hash, this.config.describeCustomError)
      }
      return hash
    }
    const pooled: PooledTx = {
      hash,
      sender,
      nonce: fields.nonce,
      gasLimit: fields.gasLimit,
      maxFeePerGas: fields.maxFeePerGas ?? fields.gasPrice ?? 0n,
      maxPriorityFeePerGas: fields.maxPriorityFeePerGas ?? fields.gasPrice ?? 0n,
      raw: input.raw,
    }
    try {
      this.mempool.add(pooled, this.nonceOf(sender))
    } catch (error) {
      if (error instanceof MempoolError) throw new InvalidInputError(error.message)
      throw error
    }
    if (this.automine) {
      // Mined together with transactions left pending: a failure is still this request's error (EDR).
      const block = await this.mineFromMempool()
      const mined = block.transactions.find((tx) => tx.result.hash === hash)
      if (mined !== undefined && mined.result.receipt.status === 0 && this.config.throwOnTransactionFailures) {
        throw executionError(mined.result.error ?? "revert", mined.result.returnValue, hash, this.config.describeCustomError)
      }
    }
    return hash
  }

  /**
   * A gas limit below the transaction's intrinsic gas (and EIP-7623 floor) is
   * refused with EDR's message; it used to be mined as an empty block (with
   * automine) or pooled for ever. For a raw transaction the exact minimum is
   * worked out; for a request (`fromRequest`) only when the limit is under a
   * cheap upper bound of the minimum (the request's fields carry its data,
   * access list and authorizations).
   */
  private checkIntrinsicGas(fields: TransactionFields, sender: Hex, tx: TypedTransaction, fromRequest: boolean): void {
    if (fromRequest && fields.gasLimit >= intrinsicUpperBound(fields)) return
    const minimum = getMinimumGasLimit(tx, createAddressFromString(sender))
    if (fields.gasLimit < minimum) throw new InvalidInputError(`Transaction requires at least ${minimum} gas but got ${fields.gasLimit}`)
  }

  dropTransaction(hash: Hex): boolean {
    if (this.txLocation.has(hash)) throw new InvalidParamsError(`Transaction ${hash} cannot be dropped because it's already mined`)
    return this.mempool.drop(hash)
  }

  // --- mining -------------------------------------------------------------------------------

  /** Mines one block from the mempool (possibly empty). */
  async mineFromMempool(timestamp?: bigint): Promise<MinedBlock> {
    if (timestamp !== undefined) this.setNextBlockTimestamp(timestamp)
    const baseFee = this.nextBlockBaseFee() ?? 0n
    const selected = this.mempool.select(baseFee, this.blockGasLimit, this.config.minGasPrice)
    const inputs: TxInput[] = selected.map((tx) => ({ raw: tx.raw, sender: tx.sender }))
    const block = await this.mineBlock(inputs)
    this.mempool.onBlockMined(
      selected.map((tx) => tx.hash),
      (address) => this.nonceOf(address),
    )
    return block
  }

  private pendingCache: { readonly key: readonly unknown[]; readonly value: PendingBlock } | undefined

  /** What the next block depends on besides the mempool: a cached pending block or state is good while these stay. */
  private pendingBase(): unknown[] {
    return [this.state.position, this.blocks.length, this.nextTimestamp, this.nextBaseFee, this.nextPrevRandao, this.coinbase, this.blockGasLimit]
  }

  /** The header of a block run from `input`, given its result and post-state root. */
  private headerOf(input: BlockInput, result: BlockResult, included: readonly MinedTransaction[], stateRoot: Hex): BlockHeader {
    const common = this.common
    const { number, timestamp, coinbase, gasLimit, baseFeePerGas, mixHash, parentHash, parentBeaconBlockRoot, excessBlobGas } = input.header
    return buildHeader(common, {
      parentHash: hexToBytes(parentHash as Hex),
      coinbase: hexToBytes(coinbase),
      stateRoot: hexToBytes(stateRoot),
      transactionsTrie: orderedTrieRoot(included.map((tx) => tx.raw)),
      receiptTrie: hexToBytes(result.receiptsRoot ?? EMPTY_TRIE_ROOT),
      logsBloom: hexToBytes(result.logsBloom),
      number,
      gasLimit,
      gasUsed: result.gasUsed,
      timestamp,
      mixHash: hexToBytes(mixHash as Hex),
      ...(baseFeePerGas !== undefined ? { baseFeePerGas } : {}),
      ...(common.isActivatedEIP(4895) ? { withdrawalsRoot: hexToBytes(EMPTY_TRIE_ROOT) } : {}),
      ...(common.isActivatedEIP(4844) ? { blobGasUsed: included.reduce((sum, tx) => sum + (tx.result.blobGasUsed ?? 0n), 0n), excessBlobGas: excessBlobGas ?? 0n } : {}),
      ...(parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: hexToBytes(parentBeaconBlockRoot) } : {}),
      ...(common.isActivatedEIP(7685) ? { requestsHash: hexToBytes(result.requestsHash ?? EMPTY_REQUESTS_HASH) } : {}),
    })
  }

  /** The last window `blockHashesBefore` made: every call, estimate and mined block asks for the head's child. */
  private recentHashes: { readonly number: bigint; readonly parentHash: Hex | undefined; readonly window: BlockHashWindow } | undefined

  /**
   * The hashes BLOCKHASH sees from block `number`: the 256 blocks before it.
   * Hashes chain, so a window is good for any block with the same parent; the
   * next block's window is the last one moved along by one.
   */
  private blockHashesBefore(number: bigint): ReadonlyMap<bigint, Hex> {
    const parentHash = this.block(number - 1n)?.hash
    const last = this.recentHashes
    if (last !== undefined && last.number === number && last.parentHash === parentHash) return last.window
    const window =
      last !== undefined && parentHash !== undefined && last.number === number - 1n && last.parentHash === this.block(number - 2n)?.hash
        ? last.window.next(parentHash)
        : BlockHashWindow.before(number, (n) => (this.block(n) as MinedBlock).hash)
    this.recentHashes = { number, parentHash, window }
    return window
  }

  /** PREVRANDAO of block `number` if it is mined next: the one set for it, else derived from the instance. */
  private prevRandaoFor(number: bigint): Hex {
    return this.nextPrevRandao ?? toData(keccak256(hexToBytes(`${this.instanceId}${number.toString(16).padStart(16, "0")}`)))
  }

  /** The environment of the block mining would make now (at `timestamp`), with these transactions. */
  private nextBlockInput(transactions: TxInput[], timestamp = this.peekNextTimestamp()): BlockInput {
    const parent = this.latest
    const common = this.common
    const number = parent.number + 1n
    const baseFee = this.nextBlockBaseFee()
    const prevRandao = this.prevRandaoFor(number)
    const blockHashes = this.blockHashesBefore(number)
    const parentBeaconBlockRoot = toData(keccak256(hexToBytes(parent.hash)))
    const excessBlobGas = common.isActivatedEIP(4844) ? parent.header.calcNextExcessBlobGas(parent.header.common) : undefined
    return {
      header: {
        number,
        timestamp,
        coinbase: this.coinbase,
        gasLimit: this.blockGasLimit,
        ...(baseFee !== undefined ? { baseFeePerGas: baseFee } : {}),
        mixHash: prevRandao,
        parentHash: parent.hash,
        ...(common.isActivatedEIP(4788) ? { parentBeaconBlockRoot } : {}),
        ...(excessBlobGas !== undefined ? { excessBlobGas } : {}),
      },
      transactions,
      withdrawals: [],
      blockHashes,
    }
  }

  /**
   * The "pending" block: what mining now would make from the mempool, run
   * against the head (sequentially, without printing or recording) but not
   * kept. Cached until the chain, the pool or the next block's settings change.
   */
  async pendingBlock(): Promise<PendingBlock> {
    const key = [this.mempool.snapshot(), ...this.pendingBase()]
    const cached = this.pendingCache
    if (cached !== undefined && cached.key.every((v, i) => v === key[i])) return cached.value
    const selected = this.mempool.select(this.nextBlockBaseFee() ?? 0n, this.blockGasLimit, this.config.minGasPrice)
    const transactions: TxInput[] = selected.map((tx) => ({ raw: tx.raw, sender: tx.sender }))
    const input = this.nextBlockInput(transactions)
    const result = await executeBlock(this.state.head, input, { mode: "sequential", chain: this.chain, recordAccess: false, trace: false, invalidTransactions: "exclude" })
    const included = includedOf(transactions, result)
    const header = this.headerOf(input, result, included, stateTrieOf(this.state.head).apply(result.stateDiff).root)
    const block = minedBlock({ header, transactions: included, parentStatePosition: this.state.position })
    const value: PendingBlock = { block, state: result.stateDiff.size === 0 ? this.state.head : new PendingState(this.state.head, result.stateDiff) }
    this.pendingCache = { key, value }
    return value
  }

  /**
   * The mempool's selection run so far for the pending state (no header, no
   * receipts), kept so that the next selection, when it only adds transactions
   * after these, runs just the new ones.
   */
  private pendingRun:
    | { readonly base: readonly unknown[]; readonly input: BlockInput; readonly hashes: readonly Hex[]; readonly diff: Map<Hex, AccountChange>; readonly state: StateReader }
    | undefined

  /**
   * The state the "pending" tag reads (and eth_estimateGas by default, as on
   * Hardhat's network): the head when the mempool is empty. Sending with
   * automine off appends to the mempool's selection, so each new state runs
   * only the new transactions on top of the last one: sends stay flat
   * instead of re-running the whole pool every time.
   */
  async pendingState(): Promise<StateReader> {
    if (this.mempool.size() === 0) return this.state.head
    const base = this.pendingBase()
    const cached = this.pendingCache
    if (cached !== undefined && cached.key[0] === this.mempool.snapshot() && base.every((v, i) => v === cached.key[i + 1])) return cached.value.state
    const selected = this.mempool.select(this.nextBlockBaseFee() ?? 0n, this.blockGasLimit, this.config.minGasPrice)
    const run = this.pendingRun
    const extended =
      run !== undefined &&
      run.base.every((v, i) => v === base[i]) &&
      selected.length >= run.hashes.length &&
      run.hashes.every((hash, i) => (selected[i] as PooledTx).hash === hash)
    if (extended && selected.length === run.hashes.length) return run.state
    const fresh = selected.slice(extended ? run.hashes.length : 0).map((tx) => ({ raw: tx.raw, sender: tx.sender }))
    // The new transactions run in the same block environment, after the ones already run: the
    // block's system calls run again on top, and write what they wrote before.
    const input = extended ? { ...run.input, transactions: fresh } : this.nextBlockInput(fresh)
    const from = extended ? run.state : this.state.head
    const result = await executeSequential(from, input, this.chain, { recordAccess: false, trace: false, invalidTransactions: "exclude", stateRoot: false })
    if (extended && !mergeDiffInto(run.diff, result.stateDiff)) {
      // An account deleted then made again: run the whole selection from the head instead.
      this.pendingRun = undefined
      return this.pendingState()
    }
    // Extended: the old pending state's diff now holds the new transactions too (requests run one
    // at a time, so nobody is still reading the old one).
    const diff = extended ? run.diff : new Map(result.stateDiff)
    const state = diff.size === 0 ? this.state.head : new PendingState(this.state.head, diff)
    this.pendingRun = { base, input, hashes: selected.map((tx) => tx.hash), diff, state }
    return state
  }

  /** hardhat_mine: `count` blocks, `interval` seconds apart; pending transactions go in the first. */
  async mineBlocks(count: bigint, interval: bigint): Promise<void> {
    if (count === 0n) return
    // Hardhat's network takes an interval of 0; without same-timestamp blocks, they come a second apart.
    const step = interval === 0n && !this.config.allowBlocksWithSameTimestamp ? 1n : interval
    for (let i = 0n; i < count; i++) {
      const next = i === 0n ? undefined : this.latest.header.timestamp + step
      if (next !== undefined) this.nextTimestamp = next
      await this.mineFromMempool()
    }
  }

  /** Mines a block of `transactions`; `decoded` holds those the node decoded already, by index. */
  private async mineBlock(transactions: TxInput[], decoded?: readonly TypedTransaction[]): Promise<MinedBlock> {
    const input = this.nextBlockInput(transactions, this.timestampForNextBlock())
    // A base fee or PREVRANDAO set for the next block is for this one only.
    this.nextBaseFee = undefined
    this.nextPrevRandao = undefined
    const result = await this.execute(input, decoded)
    const parentStatePosition = this.state.position
    this.state.apply(result.stateDiff)
    const included = includedOf(transactions, result)
    this.lastExcluded = new Map()
    for (const tx of result.transactions) if (!tx.included) this.lastExcluded.set(tx.hash, tx.invalidReason)
    const header = this.headerOf(input, result, included, this.state.stateRoot())
    const block = this.storeBlock(header, included, parentStatePosition)
    this.afterBlock(block, result)
    return block
  }

  private async execute(block: BlockInput, decoded?: readonly TypedTransaction[]): Promise<BlockResult> {
    const options = {
      recordAccess: this.recording,
      trace: this.recording,
      invalidTransactions: "exclude" as const,
    }
    if (block.transactions.length <= 1) {
      return executeSequential(this.state.head, block, this.chain, { ...options, ...(decoded !== undefined ? { decoded } : {}) })
    }
    // One pool of worker threads per process, shared by every node (tests open many connections).
    return executorFor(this.config.workers ?? availableParallelism()).execute(this.state.head, block, this.chain, { mode: "parallel", chain: this.chain, minParallelTransactions: 2, ...options })
  }

  private afterBlock(block: MinedBlock, result: BlockResult): void {
    for (const tx of block.transactions) this.printConsole((tx.result.consoleLogs ?? []).map(hexToBytes))
    this.lastStats = result.stats
    const transactions: MinedForRecord[] = []
    if (this.recording) for (const [i, tx] of result.transactions.filter((t) => t.included).entries()) transactions.push(this.recordOf(tx, block.transactions[i] as MinedTransaction))
    const head = this.state.head
    const header = block.header
    const env = {
      timestamp: header.timestamp.toString(),
      gasLimit: header.gasLimit.toString(),
      ...(header.baseFeePerGas !== undefined ? { baseFeePerGas: header.baseFeePerGas.toString() } : {}),
      coinbase: header.coinbase.toString() as Hex,
      prevRandao: toData(header.mixHash),
    }
    this.recorder.addBlock(block.number, env, result.gasUsed, result.stats, transactions, (hash) => {
      const code = head.code(BigInt(hash))
      return code === undefined ? undefined : toData(code)
    })
  }

  /** Prints Solidity console.log calls as Hardhat does. */
  printConsole(calls: readonly Uint8Array[]): void {
    const print = this.config.printLine ?? ((line: string) => console.log(line))
    for (const calldata of calls) {
      const line = formatConsoleLog(calldata)
      if (line !== undefined) print(line)
    }
  }

  /** Why the transactions the last mined block left out were invalid, by hash. */
  private lastExcluded = new Map<Hex, string | undefined>()

  /** Stats of the last mined block (parallel or not, re-executions...). */
  lastStats: BlockResult["stats"] | undefined

  /** The record of a mined transaction, from its full result (`mined.result` lacks the access set and frames). */
  private recordOf(result: TxResult, tx: MinedTransaction): MinedForRecord {
    const trace = result.trace
    // The top call frame already names the target and selector; decoding costs ~10% of an automined transaction.
    const top = trace?.calls[0]
    let to: Hex | undefined
    let selector: Hex | undefined
    if (top !== undefined && top.depth === 0) {
      to = top.kind === "create" ? undefined : top.address
      selector = to !== undefined ? top.selector : undefined
    } else {
      const decoded = createTxFromRLP(tx.raw, { common: this.common })
      to = decoded.to?.toString() as Hex | undefined
      selector = to !== undefined && decoded.data.length >= 4 ? toData(decoded.data.subarray(0, 4)) : undefined
    }
    return {
      index: tx.result.index,
      hash: tx.result.hash,
      from: tx.sender,
      ...(to !== undefined ? { to } : {}),
      ...(tx.result.createdAddress !== undefined ? { created: tx.result.createdAddress } : {}),
      ...(selector !== undefined ? { selector } : {}),
      status: tx.result.receipt.status ?? 1,
      gasUsed: tx.result.gasUsed,
      raw: toData(tx.raw),
      access: result.access,
      ...(trace !== undefined ? { calls: trace.calls, preimages: trace.preimages } : {}),
    }
  }

  setIntervalMining(interval: number | readonly [number, number]): void {
    if (this.intervalTimer !== undefined) clearTimeout(this.intervalTimer)
    this.intervalTimer = undefined
    const range = typeof interval === "number" ? [interval, interval] : interval
    if ((range[0] ?? 0) <= 0) return
    const schedule = () => {
      const [min, max] = range as [number, number]
      const delay = min + Math.floor(Math.random() * (max - min + 1))
      this.intervalTimer = setTimeout(() => {
        this.intervalTimer = undefined
        void this.enqueue(() => this.mineFromMempool()).finally(() => {
          if (this.intervalTimer === undefined && !this.closed) schedule()
        })
      }, delay)
      this.intervalTimer.unref()
    }
    schedule()
  }

  // --- calls -----------------------------------------------------------------------------------

  /**
   * Runs a call against the state after block `number` (or `at.state`). As
   * on Hardhat's EDR network, eth_call runs in the context of that block
   * itself (NUMBER, TIMESTAMP, PREVRANDAO... of the block), with a base fee
   * of 0 and no balance check, so calls may name any fees and any sender.
   * With `at.next` it runs in the context of the block after it instead (the
   * pending block, and gas estimates for the next block).
   */
  async call(request: CallRequest, number: bigint, options: RunOptions = {}, at: { readonly state?: StateReader; readonly next?: boolean } = {}): Promise<TxOutcome> {
    const block = this.block(number)
    if (block === undefined) throw new InvalidInputError(`Received invalid block number ${number}. Latest block number is ${this.latest.number}`)
    const next = at.next === true
    const london = this.common.isActivatedEIP(1559)
    const header = next
      ? {
          number: block.number + 1n,
          timestamp: this.nextTimestamp ?? (this.now() > block.header.timestamp ? this.now() : block.header.timestamp + 1n),
          coinbase: this.coinbase,
          gasLimit: this.blockGasLimit,
          ...(london ? { baseFeePerGas: 0n } : {}),
          mixHash: this.prevRandaoFor(block.number + 1n),
          parentHash: block.hash,
          ...(this.common.isActivatedEIP(4844) ? { excessBlobGas: block.header.calcNextExcessBlobGas(block.header.common) } : {}),
        }
      : {
          number: block.number,
          timestamp: block.header.timestamp,
          coinbase: toData(block.header.coinbase.bytes),
          gasLimit: block.header.gasLimit,
          ...(london ? { baseFeePerGas: 0n } : {}),
          mixHash: toData(block.header.mixHash),
          parentHash: toData(block.header.parentHash),
          ...(this.common.isActivatedEIP(4844) ? { excessBlobGas: block.header.excessBlobGas ?? 0n } : {}),
        }
    const blockHashes = this.blockHashesBefore(header.number)
    return executeCall(
      { state: at.state ?? this.stateAt(number), header, chain: this.chain, blockHashes },
      request,
      { skipNonce: true, skipBalance: true, ...options },
    )
  }

  /**
   * eth_estimateGas, by EDR's rule so that both nodes give the same figure: the
   * gas the request used (at least its intrinsic gas + 1) when that limit
   * suffices, else a binary search up to the cap that stops within a margin
   * that grows with the gas (200 to 50,000) or after 20 steps, returning the
   * lowest limit seen to succeed. By default a limit at which an inner call
   * runs out of gas does not succeed (EDR's `noInternalOutOfGas`).
   */
  async estimateGas(request: Omit<CallRequest, "gasLimit"> & { gasLimit?: bigint }, number: bigint, state?: StateReader): Promise<bigint> {
    // Estimates are for the block after `number`, as the transaction would be mined.
    const at = { ...(state !== undefined ? { state } : {}), next: true }
    const cap = request.gasLimit ?? this.defaultTransactionGasLimit
    const first = await this.call({ ...request, gasLimit: cap }, number, { watchGas: true }, at)
    if (!first.valid) throw new InvalidInputError(invalidCallMessage(first.invalidReason))
    if (first.status === 0) throw executionError(first.error ?? "revert", toData(first.returnValue), undefined, this.config.describeCustomError)
    const succeeds = async (gasLimit: bigint): Promise<boolean> => {
      const attempt = await this.call({ ...request, gasLimit }, number, {}, at)
      return attempt.valid && attempt.status === 1 && (attempt.internalOutOfGas !== true || this.config.gasEstimationMode === "topLevelSuccess")
    }
    // The gas used includes the intrinsic gas; only a request that ran no code can use exactly that.
    const initial = first.gasUsed > intrinsicUpperBound(request) ? first.gasUsed : maxBig(first.gasUsed, intrinsicGasOf({ ...request, gasLimit: cap }, this.common, this.chain.chainId) + 1n)
    // Most requests are certain to succeed with what they used (no refund, no GAS, no calls): no second run.
    if (sufficesAt(first, cap, initial) || (await succeeds(initial))) return initial
    let low = initial
    let high = cap
    for (let step = 0; step < 20 && high - low > estimateMargin(low); step++) {
      let mid = low + (high - low) / 2n
      // Start near the gas used: most requests need only a little more (63/64 rule, refunds).
      if (step === 0 && 3n * low < mid) mid = 3n * low
      if (await succeeds(mid)) high = mid
      else low = mid + 1n
    }
    return high
  }

  /** Replays a mined transaction with a step hook (debug_traceTransaction). */
  async trace(hash: Hex, options: RunOptions): Promise<TxOutcome> {
    const found = this.transaction(hash)
    if (found === undefined) throw new InvalidInputError(`Unable to find a block containing transaction ${hash}`)
    const { block, index } = found
    const parentState = this.state.at(block.parentStatePosition)
    const blockHashes = this.blockHashesBefore(block.number)
    const input: BlockInput = {
      header: {
        number: block.number,
        timestamp: block.header.timestamp,
        coinbase: toData(block.header.coinbase.bytes),
        gasLimit: block.header.gasLimit,
        ...(block.header.baseFeePerGas !== undefined ? { baseFeePerGas: block.header.baseFeePerGas } : {}),
        mixHash: toData(block.header.mixHash),
        parentHash: toData(block.header.parentHash),
        ...(block.header.parentBeaconBlockRoot !== undefined ? { parentBeaconBlockRoot: toData(block.header.parentBeaconBlockRoot) } : {}),
        ...(block.header.excessBlobGas !== undefined ? { excessBlobGas: block.header.excessBlobGas } : {}),
      },
      transactions: block.transactions.map((tx) => ({ raw: tx.raw, sender: tx.sender })),
      blockHashes,
    }
    return replayTransaction({ state: parentState, header: input.header, chain: this.chain }, input, index, options)
  }

  // --- snapshots -----------------------------------------------------------------------------

  snapshot(): number {
    const id = this.nextSnapshotId++
    this.snapshots.set(id, {
      blocks: this.blocks.length,
      statePosition: this.state.position,
      mempool: this.mempool.snapshot(),
      timeOffset: this.timeOffset,
      nextTimestamp: this.nextTimestamp,
      nextBaseFee: this.nextBaseFee,
      blockGasLimit: this.blockGasLimit,
      coinbase: this.coinbase,
    })
    return id
  }

  /** evm_revert: back to the snapshot, which (like Hardhat) is then used up, as are later ones. */
  revert(id: number): boolean {
    const snapshot = this.snapshots.get(id)
    if (snapshot === undefined) return false
    for (const later of [...this.snapshots.keys()]) if (later >= id) this.snapshots.delete(later)
    while (this.blocks.length > snapshot.blocks) {
      const block = this.blocks.pop() as MinedBlock
      this.blockNumberByHash.delete(block.hash)
      for (const tx of block.transactions) this.txLocation.delete(tx.result.hash)
    }
    this.state.rewind(snapshot.statePosition)
    this.mempool.restore(snapshot.mempool)
    this.timeOffset = snapshot.timeOffset
    this.nextTimestamp = snapshot.nextTimestamp
    this.nextBaseFee = snapshot.nextBaseFee
    this.blockGasLimit = snapshot.blockGasLimit
    this.coinbase = snapshot.coinbase
    this.recorder.noteRevert(this.latest.number)
    return true
  }

  // --- lifecycle -------------------------------------------------------------------------------

  private queue: Promise<unknown> = Promise.resolve()
  private closed = false

  /**
   * Runs operations one at a time. The engine's VM and state are shared, so
   * two requests must never interleave at an await (Hardhat's EDR serializes
   * requests the same way).
   */
  enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const run = this.queue.then(operation, operation)
    this.queue = run.catch(() => undefined)
    return run
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.intervalTimer !== undefined) clearTimeout(this.intervalTimer)
  }

  /** Transaction fields of a stored raw transaction (pending ones too). */
  pendingTransaction(hash: Hex): PooledTx | undefined {
    return this.mempool.get(hash)
  }

  codeAt(address: Hex, number: bigint): Uint8Array {
    const state = this.stateAt(number)
    const hash = state.read(accountKey(address, Field.code))
    return state.code(hash) ?? new Uint8Array()
  }

  storageAt(address: Hex, slot: Hex, number: bigint): bigint {
    return this.stateAt(number).read(storageKey(address, slot))
  }
}

/** The fields of a decoded transaction, for validation. */
function fieldsOf(tx: TypedTransaction, sender: Hex): TransactionFields {
  const anyTx = tx as TypedTransaction & { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint }
  return {
    from: sender,
    type: tx.type,
    chainId: tx.common.chainId(),
    nonce: tx.nonce,
    gasLimit: tx.gasLimit,
    value: tx.value,
    data: tx.data,
    ...(tx.to !== undefined ? { to: tx.to.toString() as Hex } : {}),
    ...(anyTx.gasPrice !== undefined ? { gasPrice: anyTx.gasPrice } : {}),
    ...(anyTx.maxFeePerGas !== undefined ? { maxFeePerGas: anyTx.maxFeePerGas } : {}),
    ...(anyTx.maxPriorityFeePerGas !== undefined ? { maxPriorityFeePerGas: anyTx.maxPriorityFeePerGas } : {}),
  }
}

const maxBig = (a: bigint, b: bigint): bigint => (a > b ? a : b)

/** At least the intrinsic gas (and EIP-7623 floor) of a request, from its size alone (calldata at the pre-Istanbul 68 a byte). */
function intrinsicUpperBound(request: Pick<CallRequest, "to" | "data" | "accessList" | "authorizationList">): bigint {
  const length = BigInt(request.data?.length ?? 0)
  let bound = 21000n + 68n * length + 25000n * BigInt(request.authorizationList?.length ?? 0)
  if (request.to === undefined) bound += 32000n + 2n * ((length + 31n) / 32n)
  for (const item of request.accessList ?? []) bound += 2400n + 1900n * BigInt(item.storageKeys.length)
  return bound
}

/** How close eth_estimateGas's search gets before it stops (Hardhat's and EDR's margins). */
function estimateMargin(gas: bigint): bigint {
  if (gas >= 4_000_000n) return 50_000n
  if (gas >= 1_000_000n) return 10_000n
  if (gas >= 100_000n) return 1_000n
  if (gas >= 50_000n) return 500n
  if (gas >= 30_000n) return 300n
  return 200n
}
