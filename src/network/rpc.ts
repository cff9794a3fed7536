/**
 * The JSON-RPC methods: each parses and checks its params (a malformed one is
 * a -32602 error that names it), calls the node, and formats the result the
 * way Hardhat's EDR network does. An unknown method is -32601.
 */
import type { InterpreterStep } from "@ethereumjs/evm"
import { createTxFromRLP } from "@ethereumjs/tx"
import { toChecksumAddress } from "@ethereumjs/util"

import { keccak256 } from "../engine/crypto.js"
import { Field, accountKey, storageKey } from "../engine/keys.js"
import type { CallRequest, Hex, StateReader } from "../engine/index.js"
import { ethSign, personalSign, signTypedDataV4 } from "./accounts.js"
import { formatBlock, formatReceipt, formatTransaction, type MinedBlock } from "./blocks.js"
import { InvalidInputError, InvalidParamsError, MethodNotFoundError } from "./errors.js"
import { FilterRegistry, logsOf, type InstalledFilter, type LogFilter } from "./filters.js"
import type { Node, TransactionRequest } from "./node.js"
import { executionError, invalidCallMessage } from "./revert.js"
import {
  address,
  array,
  blockRef,
  fail,
  boolean,
  data,
  hash32,
  hexToBytes,
  object,
  optionalQuantity,
  params,
  quantity,
  slot,
  smallQuantity,
  toData,
  toQuantity,
  word,
  type BlockRef,
} from "./values.js"

export const CLIENT_VERSION = "HardhatNetwork/3.18.0/hardhat-pevm/0.1.0"

type Handler = (rpc: Rpc, args: unknown[]) => unknown

/** The per-provider JSON-RPC state (filters) around a node. */
export class Rpc {
  readonly filters = new FilterRegistry()

  constructor(readonly node: Node) {}

  async handle(method: string, rawParams: unknown): Promise<unknown> {
    const handler = METHODS[method]
    if (handler === undefined) throw new MethodNotFoundError(method)
    const spec = ARITY[method] ?? [0, 0]
    return handler(this, params(rawParams, method, spec[0], spec[1]))
  }

  /** The number of the block a reference points at; errors like EDR for unknown ones. */
  blockNumber(ref: BlockRef): bigint {
    const node = this.node
    if ("tag" in ref) return ref.tag === "earliest" ? 0n : node.latest.number
    if ("number" in ref) {
      if (ref.number > node.latest.number) {
        throw new InvalidInputError(`Received invalid block tag ${ref.number}. Latest block number is ${node.latest.number}`)
      }
      return ref.number
    }
    const block = node.blockByHash(ref.hash)
    if (block === undefined) throw new InvalidInputError(`Header not found: block hash ${ref.hash} does not exist`)
    return block.number
  }

  /** The state a block reference reads: "pending" is the head plus what the mempool would mine. */
  async state(ref: BlockRef): Promise<StateReader> {
    if (isPending(ref)) return this.node.pendingState()
    return this.node.stateAt(this.blockNumber(ref))
  }

  block(ref: BlockRef): MinedBlock | undefined {
    if ("hash" in ref) return this.node.blockByHash(ref.hash)
    if ("number" in ref) return this.node.block(ref.number)
    return this.node.block(ref.tag === "earliest" ? 0n : this.node.latest.number)
  }
}

function isPending(ref: BlockRef): boolean {
  return "tag" in ref && ref.tag === "pending"
}

// [min, max] positional params per method.
const ARITY: Record<string, [number, number]> = {
  web3_sha3: [1, 1],
  eth_getBalance: [1, 2],
  eth_getCode: [1, 2],
  eth_getStorageAt: [2, 3],
  eth_getTransactionCount: [1, 2],
  eth_getBlockByNumber: [1, 2],
  eth_getBlockByHash: [1, 2],
  eth_getBlockTransactionCountByNumber: [1, 1],
  eth_getBlockTransactionCountByHash: [1, 1],
  eth_getTransactionByBlockNumberAndIndex: [2, 2],
  eth_getTransactionByBlockHashAndIndex: [2, 2],
  eth_getTransactionByHash: [1, 1],
  eth_getTransactionReceipt: [1, 1],
  eth_sendTransaction: [1, 1],
  eth_sendRawTransaction: [1, 1],
  eth_call: [1, 3],
  eth_estimateGas: [1, 2],
  eth_feeHistory: [2, 3],
  eth_getLogs: [1, 1],
  eth_newFilter: [1, 1],
  eth_getFilterChanges: [1, 1],
  eth_getFilterLogs: [1, 1],
  eth_uninstallFilter: [1, 1],
  eth_sign: [2, 2],
  personal_sign: [2, 3],
  eth_signTypedData_v4: [2, 2],
  evm_revert: [1, 1],
  evm_mine: [0, 1],
  evm_setAutomine: [1, 1],
  evm_increaseTime: [1, 1],
  evm_setNextBlockTimestamp: [1, 1],
  evm_setIntervalMining: [1, 1],
  evm_setBlockGasLimit: [1, 1],
  hardhat_mine: [0, 2],
  hardhat_setBalance: [2, 2],
  hardhat_setCode: [2, 2],
  hardhat_setNonce: [2, 2],
  hardhat_setStorageAt: [3, 3],
  hardhat_impersonateAccount: [1, 1],
  hardhat_stopImpersonatingAccount: [1, 1],
  hardhat_setCoinbase: [1, 1],
  hardhat_setPrevRandao: [1, 1],
  hardhat_setNextBlockBaseFeePerGas: [1, 1],
  hardhat_dropTransaction: [1, 1],
  hardhat_reset: [0, 1],
  hardhat_setLoggingEnabled: [1, 1],
  hardhat_setMinGasPrice: [1, 1],
  debug_traceTransaction: [1, 2],
  eth_getBlockReceipts: [1, 1],
}

function callRequest(value: unknown, name: string, node: Node): Omit<CallRequest, "gasLimit"> & { gasLimit?: bigint; type?: number } {
  const tx = object(value, name)
  if (tx.data !== undefined && tx.input !== undefined && tx.data !== tx.input) {
    throw new InvalidParamsError(`Invalid ${name}: "data" and "input" are both given and differ`)
  }
  const input = tx.input ?? tx.data
  const accessList =
    tx.accessList === undefined || tx.accessList === null
      ? undefined
      : array(tx.accessList, `${name}.accessList`).map((item, i) => {
          const entry = object(item, `${name}.accessList[${i}]`)
          return {
            address: address(entry.address, `${name}.accessList[${i}].address`),
            storageKeys: (entry.storageKeys === undefined || entry.storageKeys === null ? [] : array(entry.storageKeys, `${name}.accessList[${i}].storageKeys`)).map((k, j) => hash32(k, `${name}.accessList[${i}].storageKeys[${j}]`)),
          }
        })
  if (tx.chainId !== undefined && tx.chainId !== null && quantity(tx.chainId, `${name}.chainId`) !== node.chain.chainId) {
    // EDR's wording and code.
    throw new InvalidParamsError(`Invalid chainId ${BigInt(tx.chainId as string)} provided, expected ${node.chain.chainId} instead.`)
  }
  const gasLimit = optionalQuantity(tx.gas, `${name}.gas`)
  const type = optionalQuantity(tx.type, `${name}.type`)
  const nonce = optionalQuantity(tx.nonce, `${name}.nonce`)
  const value_ = optionalQuantity(tx.value, `${name}.value`)
  const gasPrice = optionalQuantity(tx.gasPrice, `${name}.gasPrice`)
  const maxFeePerGas = optionalQuantity(tx.maxFeePerGas, `${name}.maxFeePerGas`)
  const maxPriorityFeePerGas = optionalQuantity(tx.maxPriorityFeePerGas, `${name}.maxPriorityFeePerGas`)
  const maxFeePerBlobGas = optionalQuantity(tx.maxFeePerBlobGas, `${name}.maxFeePerBlobGas`)
  if (gasPrice !== undefined && (maxFeePerGas !== undefined || maxPriorityFeePerGas !== undefined)) {
    throw new InvalidInputError("Cannot send both gasPrice and maxFeePerGas params")
  }
  return {
    from: tx.from === undefined || tx.from === null ? (node.accounts[0]?.address ?? ("0x0000000000000000000000000000000000000000" as Hex)) : address(tx.from, `${name}.from`),
    ...(tx.to !== undefined && tx.to !== null ? { to: address(tx.to, `${name}.to`) } : {}),
    ...(input !== undefined && input !== null ? { data: hexToBytes(data(input, `${name}.input`)) } : {}),
    ...(value_ !== undefined ? { value: value_ } : {}),
    ...(gasLimit !== undefined ? { gasLimit } : {}),
    ...(nonce !== undefined ? { nonce } : {}),
    ...(gasPrice !== undefined ? { gasPrice } : {}),
    ...(maxFeePerGas !== undefined ? { maxFeePerGas } : {}),
    ...(maxPriorityFeePerGas !== undefined ? { maxPriorityFeePerGas } : {}),
    ...(accessList !== undefined ? { accessList } : {}),
    ...(type !== undefined ? { type: Number(type) } : {}),
    ...(maxFeePerBlobGas !== undefined ? { maxFeePerBlobGas } : {}),
    ...(tx.blobVersionedHashes !== undefined && tx.blobVersionedHashes !== null
      ? { blobVersionedHashes: array(tx.blobVersionedHashes, `${name}.blobVersionedHashes`).map((h, i) => hash32(h, `${name}.blobVersionedHashes[${i}]`)) }
      : {}),
    ...(tx.authorizationList !== undefined && tx.authorizationList !== null
      ? {
          authorizationList: array(tx.authorizationList, `${name}.authorizationList`).map((item, i) => {
            const a = object(item, `${name}.authorizationList[${i}]`)
            const at = `${name}.authorizationList[${i}]`
            return {
              chainId: quantity(a.chainId, `${at}.chainId`),
              address: address(a.address, `${at}.address`),
              nonce: quantity(a.nonce, `${at}.nonce`),
              yParity: quantity(a.yParity ?? a.v, `${at}.yParity`),
              r: quantity(a.r, `${at}.r`),
              s: quantity(a.s, `${at}.s`),
            }
          }),
        }
      : {}),
  }
}

function logFilter(value: unknown, name: string, rpc: Rpc): LogFilter {
  const filter = object(value, name)
  const addresses =
    filter.address === undefined || filter.address === null
      ? []
      : Array.isArray(filter.address)
        ? filter.address.map((a, i) => address(a, `${name}.address[${i}]`))
        : [address(filter.address, `${name}.address`)]
  const topics = (filter.topics === undefined || filter.topics === null ? [] : array(filter.topics, `${name}.topics`)).map((t, i) =>
    t === null ? null : Array.isArray(t) ? t.map((x, j) => hash32(x, `${name}.topics[${i}][${j}]`)) : [hash32(t, `${name}.topics[${i}]`)],
  )
  if (filter.blockHash !== undefined && filter.blockHash !== null) {
    if (filter.fromBlock !== undefined || filter.toBlock !== undefined) {
      throw new InvalidParamsError(`Invalid ${name}: blockHash cannot be combined with fromBlock or toBlock`)
    }
    const hash = hash32(filter.blockHash, `${name}.blockHash`)
    const block = rpc.node.blockByHash(hash)
    // EDR: -32602 "blockHash cannot be found".
    if (block === undefined) throw new InvalidParamsError(`Invalid ${name}.blockHash: block ${hash} cannot be found`)
    return { fromBlock: block.number, toBlock: block.number, blockHash: hash, addresses, topics }
  }
  // Block numbers past the head are not errors here (EDR answers with no logs, or up to the head).
  const bound = (ref: BlockRef, open: bigint | undefined): bigint | undefined =>
    "tag" in ref ? (ref.tag === "earliest" ? 0n : open) : "number" in ref ? ref.number : rpc.blockNumber(ref)
  return {
    fromBlock: bound(blockRef(filter.fromBlock, `${name}.fromBlock`), rpc.node.latest.number) as bigint,
    toBlock: bound(blockRef(filter.toBlock, `${name}.toBlock`), undefined),
    addresses,
    topics,
  }
}

function collectLogs(rpc: Rpc, filter: LogFilter, from: bigint = filter.fromBlock): Record<string, unknown>[] {
  const latest = rpc.node.latest.number
  const to = filter.toBlock === undefined || filter.toBlock > latest ? latest : filter.toBlock
  const out: Record<string, unknown>[] = []
  for (let n = from; n <= to; n++) {
    const block = rpc.node.block(n)
    if (block !== undefined) out.push(...logsOf(block, filter))
  }
  return out
}

/** A log filter's logs in blocks it has not reported yet; they count as reported from now on. */
function takeLogChanges(rpc: Rpc, filter: InstalledFilter): Record<string, unknown>[] {
  const criteria = filter.filter as LogFilter
  const from = filter.nextBlock > criteria.fromBlock ? filter.nextBlock : criteria.fromBlock
  filter.nextBlock = rpc.node.latest.number + 1n
  return collectLogs(rpc, criteria, from)
}

function signer(rpc: Rpc, value: unknown, name: string) {
  const from = address(value, name)
  const account = rpc.node.account(from)
  if (account === undefined) throw new InvalidInputError(`Unknown account ${toChecksumAddress(from)}`)
  return account
}

/** What debug_traceTransaction's struct logger includes (geth's options; memory is off by default). */
interface StructLogOptions {
  readonly stack: boolean
  readonly storage: boolean
  readonly memory: boolean
}

function structLogOptions(value: unknown): StructLogOptions {
  if (value === undefined || value === null) return { stack: true, storage: true, memory: false }
  const opts = object(value, "options")
  if (opts.tracer !== undefined && opts.tracer !== null) throw new InvalidInputError(`Tracer ${String(opts.tracer)} is not supported; only the default struct logger is`)
  const flag = (name: string): boolean | undefined => (opts[name] === undefined || opts[name] === null ? undefined : boolean(opts[name], `options.${name}`))
  return { stack: !(flag("disableStack") ?? false), storage: !(flag("disableStorage") ?? false), memory: (flag("enableMemory") ?? false) && !(flag("disableMemory") ?? false) }
}

const CALLS = new Set(["CALL", "CALLCODE", "DELEGATECALL", "STATICCALL"])

function hexWord(value: bigint): string {
  return `0x${value.toString(16).padStart(64, "0")}`
}

/**
 * geth-style struct logs, shaped as Hardhat's EDR returns them: stack items as
 * hex quantities, memory (only with `enableMemory`) and storage as 32-byte
 * words, `gasCost` the opcode's whole cost, and each contract's storage seen
 * so far on its SLOAD and SSTORE steps.
 */
function structLogger(options: StructLogOptions) {
  const structLogs: Record<string, unknown>[] = []
  const storage = new Map<string, Map<string, string>>()
  let pendingSload: { log: Record<string, unknown>; slots: Map<string, string>; key: string } | undefined
  const onStep = (step: InterpreterStep) => {
    if (pendingSload !== undefined) {
      // The loaded value is on top of the stack at the step after the SLOAD.
      pendingSload.slots.set(pendingSload.key, hexWord(step.stack[step.stack.length - 1] ?? 0n))
      if (options.storage) pendingSload.log.storage = Object.fromEntries(pendingSload.slots)
      pendingSload = undefined
    }
    const name = step.opcode.name
    let gasCost = step.opcode.dynamicFee ?? BigInt(step.opcode.fee)
    if (CALLS.has(name) && gasCost <= step.gasLeft) {
      // Like geth and EDR, a call's cost includes the gas it passes on: at most all but 1/64 of what is left.
      const available = step.gasLeft - gasCost
      const cap = available - available / 64n
      const requested = step.stack[step.stack.length - 1] ?? 0n
      gasCost += requested < cap ? requested : cap
    }
    const log: Record<string, unknown> = { pc: step.pc, op: name, gas: Number(step.gasLeft), gasCost: Number(gasCost), depth: step.depth + 1 }
    if (options.stack) log.stack = step.stack.map((v) => `0x${v.toString(16)}`)
    if (options.memory) {
      const memory: string[] = []
      const bytes = step.memory
      for (let i = 0; i < Number(step.memoryWordCount) * 32; i += 32) memory.push(`0x${Buffer.from(bytes.subarray(i, i + 32)).toString("hex").padEnd(64, "0")}`)
      log.memory = memory
    }
    if (name === "SSTORE" || name === "SLOAD") {
      const contract = step.address.toString()
      const slots = storage.get(contract) ?? new Map<string, string>()
      storage.set(contract, slots)
      const key = hexWord(step.stack[step.stack.length - 1] ?? 0n)
      if (name === "SSTORE") slots.set(key, hexWord(step.stack[step.stack.length - 2] ?? 0n))
      else pendingSload = { log, slots, key }
      if (options.storage) log.storage = Object.fromEntries(slots)
    }
    log.refund = Number(step.gasRefund)
    structLogs.push(log)
  }
  return { structLogs, onStep }
}

const METHODS: Record<string, Handler> = {
  web3_clientVersion: () => CLIENT_VERSION,
  web3_sha3: (_rpc, [value]) => toData(keccak256(hexToBytes(data(value, "data")))),
  net_version: (rpc) => rpc.node.config.networkId.toString(),
  net_listening: () => true,
  net_peerCount: () => "0x0",
  eth_chainId: (rpc) => toQuantity(rpc.node.chain.chainId),
  eth_accounts: (rpc) => rpc.node.accounts.map((a) => a.address),
  eth_requestAccounts: (rpc) => rpc.node.accounts.map((a) => a.address),
  eth_coinbase: (rpc) => rpc.node.currentCoinbase,
  eth_syncing: () => false,
  eth_mining: () => false,
  eth_hashrate: () => "0x0",
  eth_blockNumber: (rpc) => toQuantity(rpc.node.latest.number),
  eth_gasPrice: (rpc) => toQuantity(rpc.node.gasPrice()),
  eth_maxPriorityFeePerGas: () => toQuantity(1_000_000_000n),
  eth_blobBaseFee: (rpc) => toQuantity(rpc.node.latest.header.calcNextBlobGasPrice(rpc.node.latest.header.common)),

  eth_getBalance: async (rpc, [who, ref]) => {
    const account = address(who, "address")
    return toQuantity((await rpc.state(blockRef(ref, "block"))).read(accountKey(account, Field.balance)))
  },
  eth_getCode: async (rpc, [who, ref]) => {
    const account = address(who, "address")
    const state = await rpc.state(blockRef(ref, "block"))
    return toData(state.code(state.read(accountKey(account, Field.code))) ?? new Uint8Array())
  },
  eth_getStorageAt: async (rpc, [who, position, ref]) => {
    const key = storageKey(address(who, "address"), slot(position, "position"))
    return word((await rpc.state(blockRef(ref, "block"))).read(key))
  },
  eth_getTransactionCount: (rpc, [who, ref]) => {
    const account = address(who, "address")
    const reference = blockRef(ref, "block")
    if ("tag" in reference && reference.tag === "pending") return toQuantity(rpc.node.pendingNonceOf(account))
    return toQuantity(rpc.node.read(accountKey(account, Field.nonce), rpc.blockNumber(reference)))
  },

  eth_getBlockByNumber: async (rpc, [ref, full]) => {
    const reference = blockRef(ref, "block")
    const withTransactions = full === undefined ? false : boolean(full, "fullTransactions")
    if (isPending(reference)) {
      // As on Hardhat's network: the block mining would make now, without number, nonce or mixHash.
      const { block } = await rpc.node.pendingBlock()
      const formatted = formatBlock(block, false, rpc.node.common)
      return {
        ...formatted,
        number: null,
        mixHash: null,
        nonce: null,
        ...(withTransactions ? { transactions: block.transactions.map((tx) => formatTransaction(tx, undefined, 0, rpc.node.common)) } : {}),
      }
    }
    const block = rpc.block(reference)
    return block === undefined ? null : formatBlock(block, withTransactions, rpc.node.common)
  },
  eth_getBlockByHash: (rpc, [hash, full]) => {
    const block = rpc.node.blockByHash(hash32(hash, "blockHash"))
    return block === undefined ? null : formatBlock(block, full === undefined ? false : boolean(full, "fullTransactions"), rpc.node.common)
  },
  eth_getBlockTransactionCountByNumber: async (rpc, [ref]) => {
    const reference = blockRef(ref, "block")
    const block = isPending(reference) ? (await rpc.node.pendingBlock()).block : rpc.block(reference)
    return block === undefined ? null : toQuantity(block.transactions.length)
  },
  eth_getBlockTransactionCountByHash: (rpc, [hash]) => {
    const block = rpc.node.blockByHash(hash32(hash, "blockHash"))
    return block === undefined ? null : toQuantity(block.transactions.length)
  },
  eth_getTransactionByBlockNumberAndIndex: async (rpc, [ref, index]) => {
    const reference = blockRef(ref, "block")
    const i = smallQuantity(index, "index")
    if (isPending(reference)) {
      const tx = (await rpc.node.pendingBlock()).block.transactions[i]
      return tx === undefined ? null : formatTransaction(tx, undefined, 0, rpc.node.common)
    }
    const block = rpc.block(reference)
    const tx = block?.transactions[i]
    return block === undefined || tx === undefined ? null : formatTransaction(tx, block, i, rpc.node.common)
  },
  eth_getTransactionByBlockHashAndIndex: (rpc, [hash, index]) => {
    const block = rpc.node.blockByHash(hash32(hash, "blockHash"))
    const i = smallQuantity(index, "index")
    const tx = block?.transactions[i]
    return block === undefined || tx === undefined ? null : formatTransaction(tx, block, i, rpc.node.common)
  },
  eth_getTransactionByHash: (rpc, [hash]) => {
    const h = hash32(hash, "transactionHash")
    const found = rpc.node.transaction(h)
    if (found !== undefined) return formatTransaction(found.block.transactions[found.index] as never, found.block, found.index, rpc.node.common)
    const pending = rpc.node.pendingTransaction(h)
    return pending === undefined ? null : formatTransaction({ raw: pending.raw, sender: pending.sender }, undefined, 0, rpc.node.common)
  },
  eth_getTransactionReceipt: (rpc, [hash]) => {
    const found = rpc.node.transaction(hash32(hash, "transactionHash"))
    return found === undefined ? null : formatReceipt(found.block, found.index, rpc.node.common)
  },
  eth_getBlockReceipts: (rpc, [ref]) => {
    const reference = blockRef(ref, "block")
    if (isPending(reference)) return null
    const block = rpc.block(reference)
    return block === undefined ? null : block.transactions.map((_, i) => formatReceipt(block, i, rpc.node.common))
  },

  eth_sendTransaction: async (rpc, [request]) => {
    const hash = await rpc.node.sendTransaction(callRequest(request, "transaction", rpc.node) as TransactionRequest)
    rpc.filters.onPendingTransaction(hash)
    return hash
  },
  eth_sendRawTransaction: async (rpc, [raw]) => {
    const hash = await rpc.node.sendRawTransaction(hexToBytes(data(raw, "rawTransaction")))
    rpc.filters.onPendingTransaction(hash)
    return hash
  },
  eth_call: async (rpc, [request, ref, overrides]) => {
    if (overrides !== undefined && overrides !== null) throw new InvalidInputError("State overrides are not supported by hardhat-pevm")
    const call = callRequest(request, "transaction", rpc.node)
    const reference = blockRef(ref, "block")
    const number = rpc.blockNumber(reference)
    // "pending" runs after the mempool's block, in the context of the block after the head.
    const at = isPending(reference) ? { state: await rpc.node.pendingState(), next: true } : {}
    const outcome = await rpc.node.call({ ...call, gasLimit: call.gasLimit ?? rpc.node.defaultTransactionGasLimit }, number, {}, at)
    printConsole(rpc, outcome.consoleLogs)
    if (!outcome.valid) throw new InvalidInputError(invalidCallMessage(outcome.invalidReason))
    if (outcome.status === 0 && rpc.node.config.throwOnCallFailures) {
      throw executionError(outcome.error ?? "revert", toData(outcome.returnValue), undefined, rpc.node.config.describeCustomError)
    }
    return toData(outcome.returnValue)
  },
  eth_estimateGas: async (rpc, [request, ref]) => {
    const call = callRequest(request, "transaction", rpc.node)
    const reference = blockRef(ref, "block")
    // As on EDR, estimates run on "pending" by default: what is queued with automine off counts
    // (a second transfer to one holder costs less). The pending state grows incrementally, so
    // sends stay flat as the pool grows.
    const state = ref === undefined || ref === null || isPending(reference) ? await rpc.node.pendingState() : undefined
    return toQuantity(await rpc.node.estimateGas(call, rpc.blockNumber(reference), state))
  },
  eth_feeHistory: (rpc, [count, newest, percentiles]) => {
    const blocks = smallQuantity(count, "blockCount")
    if (blocks < 1) throw new InvalidInputError("blockCount should be at least 1")
    if (blocks > 1024) throw new InvalidInputError("blockCount should be at most 1024")
    const last = rpc.blockNumber(blockRef(newest, "newestBlock"))
    const first = last - BigInt(blocks) + 1n < 0n ? 0n : last - BigInt(blocks) + 1n
    const wanted = rewardPercentiles(percentiles)
    const baseFees: Hex[] = []
    const ratios: number[] = []
    const rewards: Hex[][] = []
    for (let n = first; n <= last; n++) {
      const block = rpc.node.block(n) as MinedBlock
      baseFees.push(toQuantity(block.header.baseFeePerGas ?? 0n))
      ratios.push(Number(block.header.gasUsed) / Number(block.header.gasLimit))
      if (wanted !== undefined) rewards.push(percentileRewards(block, wanted, rpc.node.common))
    }
    const lastBlock = rpc.node.block(last) as MinedBlock
    baseFees.push(toQuantity(last === rpc.node.latest.number ? (rpc.node.nextBlockBaseFee() ?? 0n) : ((rpc.node.block(last + 1n) as MinedBlock).header.baseFeePerGas ?? lastBlock.header.calcNextBaseFee())))
    return { oldestBlock: toQuantity(first), baseFeePerGas: baseFees, gasUsedRatio: ratios, ...(wanted !== undefined && wanted.length > 0 ? { reward: rewards } : {}) }
  },

  eth_getLogs: (rpc, [filter]) => collectLogs(rpc, logFilter(filter, "filter", rpc)),
  // Like Hardhat's network, a new log filter's first changes are the logs already in its range,
  // and a new block filter's first changes include the latest block.
  eth_newFilter: (rpc, [filter]) => {
    const parsed = logFilter(filter, "filter", rpc)
    return toQuantity(rpc.filters.install("logs", parsed.fromBlock, parsed))
  },
  eth_newBlockFilter: (rpc) => toQuantity(rpc.filters.install("blocks", rpc.node.latest.number)),
  eth_newPendingTransactionFilter: (rpc) => toQuantity(rpc.filters.install("pending", rpc.node.latest.number + 1n)),
  eth_getFilterChanges: (rpc, [id]) => {
    // An unknown (or uninstalled) filter is null, as on Hardhat's network.
    const filter = rpc.filters.find(quantity(id, "filterId"))
    if (filter === undefined) return null
    const latest = rpc.node.latest.number
    if (filter.kind === "pending") {
      const hashes = filter.pendingHashes
      filter.pendingHashes = []
      return hashes
    }
    if (filter.kind === "logs") return takeLogChanges(rpc, filter)
    const from = filter.nextBlock
    filter.nextBlock = latest + 1n
    const hashes: Hex[] = []
    for (let n = from; n <= latest; n++) hashes.push((rpc.node.block(n) as MinedBlock).hash)
    return hashes
  },
  // On Hardhat's network a log filter's logs and its changes are one queue: eth_getFilterLogs
  // returns what eth_getFilterChanges would, and takes it too.
  eth_getFilterLogs: (rpc, [id]) => {
    const filterId = quantity(id, "filterId")
    const filter = rpc.filters.find(filterId)
    if (filter === undefined) return null
    if (filter.kind !== "logs") {
      const actual = filter.kind === "blocks" ? "NewHeads" : "NewPendingTransactions"
      throw new InvalidParamsError(`Subscription ${filterId} is not a Logs subscription, but a ${actual} subscription`)
    }
    return takeLogChanges(rpc, filter)
  },
  eth_uninstallFilter: (rpc, [id]) => rpc.filters.uninstall(quantity(id, "filterId")),

  eth_sign: (rpc, [who, message]) => ethSign(signer(rpc, who, "address"), hexToBytes(data(message, "message"))),
  personal_sign: (rpc, [message, who]) => personalSign(signer(rpc, who, "address"), hexToBytes(data(message, "message"))),
  eth_signTypedData_v4: (rpc, [who, typed]) => {
    let payload: unknown = typed
    if (typeof typed === "string") {
      try {
        payload = JSON.parse(typed)
      } catch {
        throw new InvalidParamsError("Invalid typedData: not valid JSON")
      }
    }
    const account = signer(rpc, who, "address")
    try {
      return signTypedDataV4(account, payload)
    } catch (error) {
      if (error instanceof InvalidInputError) throw error
      throw new InvalidParamsError(`Invalid typedData: ${(error as Error).message}`)
    }
  },

  evm_snapshot: (rpc) => toQuantity(rpc.node.snapshot()),
  evm_revert: (rpc, [id]) => {
    const reverted = rpc.node.revert(smallQuantity(id, "snapshotId"))
    if (reverted) rpc.filters.rewind(rpc.node.latest.number + 1n)
    return reverted
  },
  evm_mine: async (rpc, [timestamp]) => {
    await rpc.node.mineFromMempool(timestamp === undefined || timestamp === null ? undefined : seconds(timestamp, "timestamp"))
    return "0" // what Hardhat's network answers
  },
  // As on EDR, turning automine on mines nothing: pending transactions go into the block of the next one sent.
  evm_setAutomine: (rpc, [enabled]) => {
    rpc.node.automine = boolean(enabled, "enabled")
    return true
  },
  evm_increaseTime: (rpc, [amount]) => rpc.node.increaseTime(seconds(amount, "seconds")).toString(),
  evm_setNextBlockTimestamp: (rpc, [timestamp]) => {
    rpc.node.setNextBlockTimestamp(seconds(timestamp, "timestamp"))
    return null
  },
  evm_setIntervalMining: (rpc, [interval]) => {
    const whole = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v) && v >= 0
    const expected = "a whole number of milliseconds or [min, max]"
    if (whole(interval)) rpc.node.setIntervalMining(interval)
    else if (Array.isArray(interval) && interval.length === 2 && interval.every(whole)) {
      const [min, max] = interval as [number, number]
      // EDR's checks and messages.
      if (min <= 0) throw new InvalidParamsError("Invalid interval: minimum value in range must be greater than zero")
      if (min > max) throw new InvalidParamsError("Invalid interval: minimum value in range is greater than maximum value")
      rpc.node.setIntervalMining([min, max])
    } else fail("interval", interval, expected)
    return true
  },
  evm_setBlockGasLimit: (rpc, [limit]) => {
    rpc.node.setBlockGasLimit(quantity(limit, "gasLimit"))
    return true
  },

  hardhat_metadata: (rpc) => ({
    clientVersion: CLIENT_VERSION,
    chainId: Number(rpc.node.chain.chainId),
    instanceId: rpc.node.instanceId,
    latestBlockNumber: Number(rpc.node.latest.number),
    latestBlockHash: rpc.node.latest.hash,
  }),
  hardhat_getAutomine: (rpc) => rpc.node.automine,
  hardhat_mine: async (rpc, [count, interval]) => {
    await rpc.node.mineBlocks(optionalQuantity(count, "blocks") ?? 1n, optionalQuantity(interval, "interval") ?? 1n)
    return true
  },
  hardhat_setBalance: (rpc, [who, balance]) => {
    rpc.node.setAccount(address(who, "address"), { balance: quantity(balance, "balance") })
    return true
  },
  hardhat_setCode: (rpc, [who, code]) => {
    rpc.node.setAccount(address(who, "address"), { code: hexToBytes(data(code, "code")) })
    return true
  },
  hardhat_setNonce: (rpc, [who, nonce]) => {
    const account = address(who, "address")
    const value = quantity(nonce, "nonce")
    const current = rpc.node.read(accountKey(account, Field.nonce))
    if (rpc.node.mempool.size() > 0) throw new InvalidInputError("Cannot set account nonce when the transaction pool is not empty")
    if (value < current) throw new InvalidInputError(`New nonce (${value}) must not be smaller than the existing nonce (${current})`)
    rpc.node.setAccount(account, { nonce: value })
    return true
  },
  hardhat_setStorageAt: (rpc, [who, position, value]) => {
    rpc.node.setAccount(address(who, "address"), { storage: [slot(position, "position"), BigInt(data(value, "value", 32))] })
    return true
  },
  hardhat_impersonateAccount: (rpc, [who]) => {
    rpc.node.impersonate(address(who, "address"))
    return true
  },
  hardhat_stopImpersonatingAccount: (rpc, [who]) => rpc.node.stopImpersonating(address(who, "address")),
  hardhat_setCoinbase: (rpc, [who]) => {
    rpc.node.setCoinbase(address(who, "address"))
    return true
  },
  hardhat_setPrevRandao: (rpc, [value]) => {
    rpc.node.setPrevRandao(hash32(value, "prevRandao"))
    return true
  },
  hardhat_setNextBlockBaseFeePerGas: (rpc, [fee]) => {
    rpc.node.setNextBlockBaseFeePerGas(quantity(fee, "baseFeePerGas"))
    return true
  },
  hardhat_dropTransaction: (rpc, [hash]) => rpc.node.dropTransaction(hash32(hash, "transactionHash")),
  hardhat_setLoggingEnabled: (_rpc, [enabled]) => {
    boolean(enabled, "loggingEnabled")
    return true
  },
  hardhat_setMinGasPrice: (_rpc, [price]) => {
    quantity(price, "minGasPrice")
    throw new InvalidInputError("hardhat_setMinGasPrice is not supported after London")
  },
  debug_traceTransaction: async (rpc, [hash, options]) => {
    const transactionHash = hash32(hash, "transactionHash")
    const { structLogs, onStep } = structLogger(structLogOptions(options))
    const outcome = await rpc.node.trace(transactionHash, { onStep })
    return {
      failed: outcome.status === 0,
      gas: Number(outcome.gasUsed),
      returnValue: toData(outcome.returnValue),
      structLogs,
    }
  },

}

/** Every JSON-RPC method the node answers (hardhat_reset is the provider's own). */
export function supportedMethods(): string[] {
  return [...Object.keys(METHODS), "hardhat_reset"].sort()
}

/** eth_feeHistory's percentiles: numbers from 0 to 100 in non-decreasing order (EDR's messages). */
function rewardPercentiles(value: unknown): number[] | undefined {
  if (value === undefined || value === null) return undefined
  const list = array(value, "rewardPercentiles").map((p, i) => {
    if (typeof p !== "number" || !Number.isFinite(p)) fail(`rewardPercentiles[${i}]`, p, "a number from 0 to 100")
    if (p < 0 || p > 100) throw new InvalidInputError(`The reward percentile number ${i + 1} is invalid. It must be a float between 0 and 100, but is ${p} instead.`)
    return p
  })
  list.forEach((p, i) => {
    if (i + 1 < list.length && p > (list[i + 1] as number)) {
      throw new InvalidInputError(`The reward percentiles should be in non-decreasing order, but the percentile number ${i + 1} is greater than the next one`)
    }
  })
  return list
}

/** A number of seconds: a hex quantity or a non-negative whole JSON number (Hardhat takes both). */
function seconds(value: unknown, name: string): bigint {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) fail(name, value, "a non-negative whole number of seconds")
    return BigInt(value)
  }
  return quantity(value, name)
}

/**
 * Each mined block's effective tips with their gas, sorted. Blocks never change, and Hardhat's fee
 * filling calls eth_feeHistory before every eth_sendTransaction: decoding the latest block's
 * transactions on each call made every send cost O(that block's size).
 */
const sortedTips = new WeakMap<MinedBlock, readonly { readonly gasUsed: bigint; readonly tip: bigint }[]>()

/** eth_feeHistory rewards: per percentile, the effective tip below which that share of the block's gas was paid. */
function percentileRewards(block: MinedBlock, percentiles: readonly number[], common: Node["common"]): Hex[] {
  let tips = sortedTips.get(block)
  if (tips === undefined) {
    tips = blockTips(block, common)
    sortedTips.set(block, tips)
  }
  if (tips.length === 0) return percentiles.map(() => "0x0")
  const total = tips.reduce((sum, t) => sum + t.gasUsed, 0n)
  return percentiles.map((p) => {
    const threshold = (total * BigInt(Math.round(p * 100))) / 10000n
    let cumulative = 0n
    for (const t of tips) {
      cumulative += t.gasUsed
      if (cumulative >= threshold) return toQuantity(t.tip)
    }
    return toQuantity((tips[tips.length - 1] as { tip: bigint }).tip)
  })
}

function blockTips(block: MinedBlock, common: Node["common"]): { gasUsed: bigint; tip: bigint }[] {
  const baseFee = block.header.baseFeePerGas ?? 0n
  return block.transactions
    .map((tx) => {
      const decoded = createTxFromRLP(tx.raw, { common }) as { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint }
      const tip =
        decoded.maxFeePerGas !== undefined
          ? ((decoded.maxFeePerGas - baseFee) < (decoded.maxPriorityFeePerGas ?? 0n) ? decoded.maxFeePerGas - baseFee : (decoded.maxPriorityFeePerGas ?? 0n))
          : (decoded.gasPrice ?? 0n) - baseFee
      return { gasUsed: tx.result.gasUsed, tip: tip < 0n ? 0n : tip }
    })
    .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
}

function printConsole(rpc: Rpc, logs: readonly Uint8Array[] | undefined): void {
  if (logs !== undefined) rpc.node.printConsole(logs)
}
