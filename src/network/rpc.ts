/**
 * The JSON-RPC methods: each parses and checks its params (a malformed one is
 * a -32602 error that names it), calls the node, and formats the result the
 * way Hardhat's EDR network does. An unknown method is -32601.
 */
import type { InterpreterStep } from "@ethereumjs/evm"
import { createTxFromRLP } from "@ethereumjs/tx"

import { keccak256 } from "../engine/crypto.js"
import { Field, accountKey } from "../engine/keys.js"
import type { CallRequest, Hex } from "../engine/index.js"
import { ethSign, personalSign, signTypedDataV4 } from "./accounts.js"
import { formatBlock, formatReceipt, formatTransaction, type MinedBlock } from "./blocks.js"
import { InvalidInputError, InvalidParamsError, MethodNotFoundError } from "./errors.js"
import { FilterRegistry, logsOf, type LogFilter } from "./filters.js"
import type { Node, TransactionRequest } from "./node.js"
import { executionError } from "./revert.js"
import {
  address,
  blockRef,
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

  block(ref: BlockRef): MinedBlock | undefined {
    if ("hash" in ref) return this.node.blockByHash(ref.hash)
    if ("number" in ref) return this.node.block(ref.number)
    return this.node.block(ref.tag === "earliest" ? 0n : this.node.latest.number)
  }
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
      : (tx.accessList as unknown[]).map((item, i) => {
          const entry = object(item, `${name}.accessList[${i}]`)
          return {
            address: address(entry.address, `${name}.accessList[${i}].address`),
            storageKeys: ((entry.storageKeys ?? []) as unknown[]).map((k, j) => hash32(k, `${name}.accessList[${i}].storageKeys[${j}]`)),
          }
        })
  if (tx.chainId !== undefined && tx.chainId !== null && quantity(tx.chainId, `${name}.chainId`) !== node.chain.chainId) {
    throw new InvalidInputError(`Invalid chainId ${tx.chainId} provided, expected 0x${node.chain.chainId.toString(16)}`)
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
      ? { blobVersionedHashes: (tx.blobVersionedHashes as unknown[]).map((h, i) => hash32(h, `${name}.blobVersionedHashes[${i}]`)) }
      : {}),
    ...(tx.authorizationList !== undefined && tx.authorizationList !== null
      ? {
          authorizationList: (tx.authorizationList as unknown[]).map((item, i) => {
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
  const topics = ((filter.topics ?? []) as unknown[]).map((t, i) =>
    t === null ? null : Array.isArray(t) ? t.map((x, j) => hash32(x, `${name}.topics[${i}][${j}]`)) : [hash32(t, `${name}.topics[${i}]`)],
  )
  if (filter.blockHash !== undefined && filter.blockHash !== null) {
    if (filter.fromBlock !== undefined || filter.toBlock !== undefined) {
      throw new InvalidParamsError(`Invalid ${name}: blockHash cannot be combined with fromBlock or toBlock`)
    }
    const hash = hash32(filter.blockHash, `${name}.blockHash`)
    const number = rpc.blockNumber({ hash })
    return { fromBlock: number, toBlock: number, blockHash: hash, addresses, topics }
  }
  const from = blockRef(filter.fromBlock, `${name}.fromBlock`)
  const to = blockRef(filter.toBlock, `${name}.toBlock`)
  return {
    fromBlock: "tag" in from && from.tag !== "earliest" ? rpc.node.latest.number : rpc.blockNumber(from),
    toBlock: "tag" in to && to.tag !== "earliest" ? undefined : rpc.blockNumber(to),
    addresses,
    topics,
  }
}

function collectLogs(rpc: Rpc, filter: LogFilter, from: bigint = filter.fromBlock): Record<string, unknown>[] {
  const to = filter.toBlock ?? rpc.node.latest.number
  const out: Record<string, unknown>[] = []
  for (let n = from; n <= to; n++) {
    const block = rpc.node.block(n)
    if (block !== undefined) out.push(...logsOf(block, filter))
  }
  return out
}

function signer(rpc: Rpc, value: unknown, name: string) {
  const from = address(value, name)
  const account = rpc.node.account(from)
  if (account === undefined) throw new InvalidInputError(`Unknown account ${from}`)
  return account
}

/** geth-style struct logs, as debug_traceTransaction returns them. */
function structLogger() {
  const structLogs: Record<string, unknown>[] = []
  const storage = new Map<number, Map<string, string>>()
  let pendingSload: { log: Record<string, unknown>; depth: number; key: string } | undefined
  const onStep = (step: InterpreterStep) => {
    const depth = step.depth + 1
    if (pendingSload !== undefined) {
      const value = step.stack[step.stack.length - 1] ?? 0n
      const slots = storage.get(pendingSload.depth) ?? new Map<string, string>()
      slots.set(pendingSload.key, value.toString(16).padStart(64, "0"))
      storage.set(pendingSload.depth, slots)
      pendingSload = undefined
    }
    for (const d of [...storage.keys()]) if (d > depth) storage.delete(d)
    const memory: string[] = []
    const bytes = step.memory
    for (let i = 0; i < Number(step.memoryWordCount) * 32; i += 32) memory.push(Buffer.from(bytes.subarray(i, i + 32)).toString("hex").padEnd(64, "0"))
    const log: Record<string, unknown> = {
      pc: step.pc,
      op: step.opcode.name,
      gas: Number(step.gasLeft),
      gasCost: step.opcode.fee + Number(step.opcode.dynamicFee ?? 0n),
      depth,
      stack: step.stack.map((v) => v.toString(16).padStart(64, "0")),
      memory,
    }
    const name = step.opcode.name
    if (name === "SSTORE" || name === "SLOAD") {
      const key = (step.stack[step.stack.length - 1] ?? 0n).toString(16).padStart(64, "0")
      const slots = storage.get(depth) ?? new Map<string, string>()
      if (name === "SSTORE") slots.set(key, (step.stack[step.stack.length - 2] ?? 0n).toString(16).padStart(64, "0"))
      storage.set(depth, slots)
      if (name === "SLOAD") pendingSload = { log, depth, key }
      log.storage = Object.fromEntries(slots)
    }
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
  eth_coinbase: (rpc) => rpc.node.config.coinbase,
  eth_syncing: () => false,
  eth_mining: () => false,
  eth_hashrate: () => "0x0",
  eth_blockNumber: (rpc) => toQuantity(rpc.node.latest.number),
  eth_gasPrice: (rpc) => toQuantity(rpc.node.gasPrice()),
  eth_maxPriorityFeePerGas: () => toQuantity(1_000_000_000n),
  eth_blobBaseFee: (rpc) => toQuantity(rpc.node.latest.header.calcNextBlobGasPrice(rpc.node.latest.header.common)),

  eth_getBalance: (rpc, [who, ref]) =>
    toQuantity(rpc.node.read(accountKey(address(who, "address"), Field.balance), rpc.blockNumber(blockRef(ref, "block")))),
  eth_getCode: (rpc, [who, ref]) => toData(rpc.node.codeAt(address(who, "address"), rpc.blockNumber(blockRef(ref, "block")))),
  eth_getStorageAt: (rpc, [who, position, ref]) =>
    word(rpc.node.storageAt(address(who, "address"), slot(position, "position"), rpc.blockNumber(blockRef(ref, "block")))),
  eth_getTransactionCount: (rpc, [who, ref]) => {
    const account = address(who, "address")
    const reference = blockRef(ref, "block")
    if ("tag" in reference && reference.tag === "pending") return toQuantity(rpc.node.pendingNonceOf(account))
    return toQuantity(rpc.node.read(accountKey(account, Field.nonce), rpc.blockNumber(reference)))
  },

  eth_getBlockByNumber: (rpc, [ref, full]) => {
    const reference = blockRef(ref, "block")
    const block = rpc.block(reference)
    return block === undefined ? null : formatBlock(block, full === undefined ? false : boolean(full, "fullTransactions"), rpc.node.common)
  },
  eth_getBlockByHash: (rpc, [hash, full]) => {
    const block = rpc.node.blockByHash(hash32(hash, "blockHash"))
    return block === undefined ? null : formatBlock(block, full === undefined ? false : boolean(full, "fullTransactions"), rpc.node.common)
  },
  eth_getBlockTransactionCountByNumber: (rpc, [ref]) => {
    const block = rpc.block(blockRef(ref, "block"))
    return block === undefined ? null : toQuantity(block.transactions.length)
  },
  eth_getBlockTransactionCountByHash: (rpc, [hash]) => {
    const block = rpc.node.blockByHash(hash32(hash, "blockHash"))
    return block === undefined ? null : toQuantity(block.transactions.length)
  },
  eth_getTransactionByBlockNumberAndIndex: (rpc, [ref, index]) => {
    const block = rpc.block(blockRef(ref, "block"))
    const i = smallQuantity(index, "index")
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
    const block = rpc.block(blockRef(ref, "block"))
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
    const number = rpc.blockNumber(blockRef(ref, "block"))
    const outcome = await rpc.node.call({ ...call, gasLimit: call.gasLimit ?? rpc.node.defaultTransactionGasLimit }, number)
    printConsole(rpc, outcome.consoleLogs)
    if (!outcome.valid) throw new InvalidInputError(outcome.invalidReason ?? "invalid call")
    if (outcome.status === 0 && rpc.node.config.throwOnCallFailures) {
      throw executionError(outcome.error ?? "revert", toData(outcome.returnValue), undefined, rpc.node.config.describeCustomError)
    }
    return toData(outcome.returnValue)
  },
  eth_estimateGas: async (rpc, [request, ref]) => {
    const call = callRequest(request, "transaction", rpc.node)
    return toQuantity(await rpc.node.estimateGas(call, rpc.blockNumber(blockRef(ref, "block", "pending"))))
  },
  eth_feeHistory: (rpc, [count, newest, percentiles]) => {
    const blocks = smallQuantity(count, "blockCount")
    if (blocks < 1 || blocks > 1024) throw new InvalidInputError("blockCount must be between 1 and 1024")
    const last = rpc.blockNumber(blockRef(newest, "newestBlock"))
    const first = last - BigInt(blocks) + 1n < 0n ? 0n : last - BigInt(blocks) + 1n
    const wanted = percentiles === undefined || percentiles === null ? undefined : (percentiles as unknown[]).map(Number)
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
    return { oldestBlock: toQuantity(first), baseFeePerGas: baseFees, gasUsedRatio: ratios, ...(wanted !== undefined ? { reward: rewards } : {}) }
  },

  eth_getLogs: (rpc, [filter]) => collectLogs(rpc, logFilter(filter, "filter", rpc)),
  eth_newFilter: (rpc, [filter]) => {
    const parsed = logFilter(filter, "filter", rpc)
    return toQuantity(rpc.filters.install("logs", rpc.node.latest.number + 1n, parsed))
  },
  eth_newBlockFilter: (rpc) => toQuantity(rpc.filters.install("blocks", rpc.node.latest.number + 1n)),
  eth_newPendingTransactionFilter: (rpc) => toQuantity(rpc.filters.install("pending", rpc.node.latest.number + 1n)),
  eth_getFilterChanges: (rpc, [id]) => {
    const filter = rpc.filters.get(quantity(id, "filterId"))
    const latest = rpc.node.latest.number
    if (filter.kind === "pending") {
      const hashes = filter.pendingHashes
      filter.pendingHashes = []
      return hashes
    }
    const from = filter.nextBlock
    filter.nextBlock = latest + 1n
    if (filter.kind === "blocks") {
      const hashes: Hex[] = []
      for (let n = from; n <= latest; n++) hashes.push((rpc.node.block(n) as MinedBlock).hash)
      return hashes
    }
    const logFilterValue = filter.filter as LogFilter
    const start = from > logFilterValue.fromBlock ? from : logFilterValue.fromBlock
    return collectLogs(rpc, logFilterValue, start)
  },
  eth_getFilterLogs: (rpc, [id]) => {
    const filter = rpc.filters.get(quantity(id, "filterId"))
    if (filter.kind !== "logs") throw new InvalidInputError(`Filter 0x${quantity(id, "filterId").toString(16)} is not a log filter`)
    return collectLogs(rpc, filter.filter as LogFilter)
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
    try {
      return signTypedDataV4(signer(rpc, who, "address"), payload)
    } catch (error) {
      if (error instanceof InvalidInputError) throw error
      throw new InvalidParamsError(`Invalid typedData: ${(error as Error).message}`)
    }
  },

  evm_snapshot: (rpc) => toQuantity(rpc.node.snapshot()),
  evm_revert: (rpc, [id]) => rpc.node.revert(smallQuantity(id, "snapshotId")),
  evm_mine: async (rpc, [timestamp]) => {
    await rpc.node.mineFromMempool(optionalQuantity(timestamp, "timestamp"))
    return "0x0"
  },
  evm_setAutomine: async (rpc, [enabled]) => {
    rpc.node.automine = boolean(enabled, "enabled")
    if (rpc.node.automine && rpc.node.mempool.size() > 0) await rpc.node.mineFromMempool()
    return true
  },
  evm_increaseTime: (rpc, [seconds]) => {
    const amount = typeof seconds === "number" ? BigInt(seconds) : quantity(seconds, "seconds")
    return rpc.node.increaseTime(amount).toString()
  },
  evm_setNextBlockTimestamp: (rpc, [timestamp]) => {
    rpc.node.setNextBlockTimestamp(typeof timestamp === "number" ? BigInt(timestamp) : quantity(timestamp, "timestamp"))
    return null
  },
  evm_setIntervalMining: (rpc, [interval]) => {
    if (typeof interval === "number") rpc.node.setIntervalMining(interval)
    else if (Array.isArray(interval) && interval.length === 2 && interval.every((v) => typeof v === "number")) {
      rpc.node.setIntervalMining([interval[0] as number, interval[1] as number])
    } else throw new InvalidParamsError(`Invalid interval: expected a number of milliseconds or [min, max], got ${JSON.stringify(interval)}`)
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
    if (options !== undefined && options !== null) {
      const opts = object(options, "options")
      if (opts.tracer !== undefined) throw new InvalidInputError(`Tracer ${String(opts.tracer)} is not supported; only the default struct logger is`)
    }
    const { structLogs, onStep } = structLogger()
    const outcome = await rpc.node.trace(hash32(hash, "transactionHash"), { onStep })
    return {
      gas: Number(outcome.gasUsed),
      failed: outcome.status === 0,
      returnValue: Buffer.from(outcome.returnValue).toString("hex"),
      structLogs,
    }
  },
}

/** eth_feeHistory rewards: per percentile, the effective tip below which that share of the block's gas was paid. */
function percentileRewards(block: MinedBlock, percentiles: readonly number[], common: Node["common"]): Hex[] {
  const baseFee = block.header.baseFeePerGas ?? 0n
  const tips = block.transactions
    .map((tx) => {
      const decoded = createTxFromRLP(tx.raw, { common }) as { gasPrice?: bigint; maxFeePerGas?: bigint; maxPriorityFeePerGas?: bigint }
      const tip =
        decoded.maxFeePerGas !== undefined
          ? ((decoded.maxFeePerGas - baseFee) < (decoded.maxPriorityFeePerGas ?? 0n) ? decoded.maxFeePerGas - baseFee : (decoded.maxPriorityFeePerGas ?? 0n))
          : (decoded.gasPrice ?? 0n) - baseFee
      return { gasUsed: tx.result.gasUsed, tip: tip < 0n ? 0n : tip }
    })
    .sort((a, b) => (a.tip < b.tip ? -1 : a.tip > b.tip ? 1 : 0))
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

function printConsole(rpc: Rpc, logs: readonly Uint8Array[] | undefined): void {
  if (logs !== undefined) rpc.node.printConsole(logs)
}
