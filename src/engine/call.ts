/**
 * Running a transaction outside block production: `eth_call`, gas
 * estimation (the caller searches over gas limits), and replaying a mined
 * transaction with a step hook for `debug_traceTransaction`. Always
 * sequential and in-process, over any StateReader, so the node can run them
 * against the state of any block.
 */
import { createTx, type TypedTransaction, type TypedTxData } from "@ethereumjs/tx"
import { Address, hexToBytes } from "@ethereumjs/util"

import { blockFor, hardforkOf } from "./chain.js"
import { BlockOverlay } from "./overlay.js"
import { runOne, vmFor } from "./sequential.js"
import type { BlockHeaderInput, BlockInput, ChainConfig, Hex } from "./types.js"
import type { RunOptions, TxOutcome } from "./vm.js"
import type { StateReader } from "./worldState.js"

/** The fields of an unsigned transaction request; `from` needs no key. */
export interface CallRequest {
  readonly from: Hex
  readonly to?: Hex
  readonly data?: Uint8Array
  readonly value?: bigint
  readonly gasLimit: bigint
  readonly nonce?: bigint
  readonly gasPrice?: bigint
  readonly maxFeePerGas?: bigint
  readonly maxPriorityFeePerGas?: bigint
  readonly accessList?: readonly { readonly address: Hex; readonly storageKeys: readonly Hex[] }[]
  readonly blobVersionedHashes?: readonly Hex[]
  readonly maxFeePerBlobGas?: bigint
  readonly authorizationList?: readonly {
    readonly chainId: bigint
    readonly address: Hex
    readonly nonce: bigint
    readonly yParity: bigint
    readonly r: bigint
    readonly s: bigint
  }[]
}

export interface CallContext {
  readonly state: StateReader
  readonly header: BlockHeaderInput
  readonly chain: ChainConfig
  readonly blockHashes?: ReadonlyMap<bigint, Hex>
}

function transactionFor(request: CallRequest, common: TypedTransaction["common"], chainId: bigint): TypedTransaction {
  const base = {
    gasLimit: request.gasLimit,
    ...(request.to !== undefined ? { to: request.to } : {}),
    ...(request.data !== undefined ? { data: request.data } : {}),
    value: request.value ?? 0n,
    nonce: request.nonce ?? 0n,
  }
  const accessList = (request.accessList ?? []).map((item) => ({ address: item.address, storageKeys: [...item.storageKeys] }))
  let data: TypedTxData
  if (request.authorizationList !== undefined) {
    data = {
      ...base,
      type: 4,
      chainId,
      maxFeePerGas: request.maxFeePerGas ?? request.gasPrice ?? 0n,
      maxPriorityFeePerGas: request.maxPriorityFeePerGas ?? 0n,
      accessList,
      authorizationList: request.authorizationList.map((a) => ({
        chainId: `0x${a.chainId.toString(16)}`,
        address: a.address,
        nonce: `0x${a.nonce.toString(16)}`,
        yParity: `0x${a.yParity.toString(16)}`,
        r: `0x${a.r.toString(16)}`,
        s: `0x${a.s.toString(16)}`,
      })),
    } as TypedTxData
  } else if (request.blobVersionedHashes !== undefined) {
    data = {
      ...base,
      type: 3,
      chainId,
      maxFeePerGas: request.maxFeePerGas ?? request.gasPrice ?? 0n,
      maxPriorityFeePerGas: request.maxPriorityFeePerGas ?? 0n,
      maxFeePerBlobGas: request.maxFeePerBlobGas ?? 0n,
      blobVersionedHashes: [...request.blobVersionedHashes],
      accessList,
    } as TypedTxData
  } else if (request.maxFeePerGas !== undefined || request.maxPriorityFeePerGas !== undefined) {
    data = {
      ...base,
      type: 2,
      chainId,
      maxFeePerGas: request.maxFeePerGas ?? request.maxPriorityFeePerGas ?? 0n,
      maxPriorityFeePerGas: request.maxPriorityFeePerGas ?? 0n,
      accessList,
    } as TypedTxData
  } else if (request.accessList !== undefined) {
    data = { ...base, type: 1, chainId, gasPrice: request.gasPrice ?? 0n, accessList } as TypedTxData
  } else {
    data = { ...base, type: 0, gasPrice: request.gasPrice ?? 0n }
  }
  const tx = createTx(data, { common, freeze: false })
  const sender = new Address(hexToBytes(request.from))
  tx.getSenderAddress = () => sender
  return tx
}

/** The gas a request is charged before it runs: base, calldata, creation, access list, authorizations (no EIP-7623 floor). */
export function intrinsicGasOf(request: CallRequest, common: TypedTransaction["common"], chainId: bigint): bigint {
  return transactionFor(request, common, chainId).getIntrinsicGas()
}

/** EIP-2200: an SSTORE with this much gas left, or less, fails. */
const SSTORE_SENTRY = 2300n

/**
 * Whether running the request of `outcome` (a successful run with `watchGas`
 * and gas limit `cap`) with the smaller limit `limit` must take the same path
 * and succeed, so that it need not be run. With less gas, every step sees
 * `cap - limit` less gas left and nothing else changes, unless the run read the
 * gas left, passed a share of it on, or read a balance (the sender pays for the
 * whole limit first): GAS, calls, creates, BALANCE... (`sensitive`); so the
 * run is the same when `limit` covers all it spent (no refund: the gas used is
 * what it spent, or the EIP-7623 floor above it) and every SSTORE still has more
 * than 2300 gas left.
 */
export function sufficesAt(outcome: TxOutcome, cap: bigint, limit: bigint): boolean {
  const watch = outcome.gasWatch
  if (watch === undefined || watch.sensitive || watch.refund !== 0n) return false
  if (!outcome.valid || outcome.status !== 1 || outcome.internalOutOfGas === true || limit < outcome.gasUsed || limit > cap) return false
  return watch.minGasLeftAtSstore === undefined || watch.minGasLeftAtSstore - (cap - limit) > SSTORE_SENTRY
}

/**
 * Executes a request on top of `context.state` in the block `context.header`.
 * Nothing is committed; the outcome lists the writes it would make.
 */
export async function executeCall(context: CallContext, request: CallRequest, options: RunOptions = {}): Promise<TxOutcome> {
  const vm = await vmFor(context.chain, hardforkOf(context.chain, context.header))
  vm.setBlock(blockFor(vm.common, context.header), context.blockHashes ?? new Map())
  const tx = transactionFor(request, vm.transactionCommon(), context.chain.chainId)
  return vm.runTransaction(tx, 0, new BlockOverlay(context.state), options)
}

/**
 * Replays transaction `index` of a mined block: the ones before it run first
 * (sequentially, as when it was mined), then it runs with `options` (a step hook).
 */
export async function replayTransaction(
  context: CallContext,
  block: BlockInput,
  index: number,
  options: RunOptions,
): Promise<TxOutcome> {
  const vm = await vmFor(context.chain, hardforkOf(context.chain, block.header))
  vm.setBlock(blockFor(vm.common, block.header), block.blockHashes ?? context.blockHashes ?? new Map())
  const overlay = new BlockOverlay(context.state)
  for (let i = 0; i < index; i++) {
    const outcome = await runOne(vm, block, i, overlay)
    overlay.apply(outcome.writes.map(([id, value, delta]) => [id, value, delta] as const), outcome.codes)
  }
  const input = block.transactions[index]
  if (input === undefined) throw new Error(`the block has no transaction ${index}`)
  return vm.runTransaction(vm.decode(input), index, overlay, options)
}
