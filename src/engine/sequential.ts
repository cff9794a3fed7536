/**
 * Sequential execution, in-process: the reference that parallel execution
 * must equal, the fallback for small blocks and failed workers, and the
 * fastest single-core mode (it shares the flat state and the TxView with the
 * parallel path, so a speedup cannot come from a slow baseline).
 */
import type { TypedTransaction } from "@ethereumjs/tx"

import { BlockAssembler, type AssemblyOptions } from "./assemble.js"
import { blockFor, commonFor, hardforkOf } from "./chain.js"
import { finalize, type FinalTx } from "./finalize.js"
import { applyPreTransactions } from "./frame.js"
import { keyFromId } from "./keys.js"
import type { WriteEntry } from "./overlay.js"
import type { BlockInput, BlockResult, ChainConfig, ExecutionStats } from "./types.js"
export type { FinalTx }
import { BlockVm, invalidOutcome, type RunOptions, type TxOutcome } from "./vm.js"
import type { StateReader } from "./worldState.js"

/** In-process runs only: what cannot cross to a worker thread. */
export interface SequentialOptions extends AssemblyOptions {
  /**
   * Transactions the caller has already decoded, by index (the node decodes
   * each one it receives), so they are not decoded again: about 60 µs each.
   * See `BlockVm.decode` for when one is used.
   */
  readonly decoded?: ReadonlyArray<TypedTransaction | undefined>
}

const vms = new Map<string, Promise<BlockVm>>()

/** The VM for a chain and hardfork, created once per thread. */
export function vmFor(chain: ChainConfig, hardfork: string): Promise<BlockVm> {
  const key = `${chain.chainId}:${chain.hardfork}:${hardfork}:${chain.allowUnlimitedContractSize === true}:${chain.allowSendersWithCode === true}`
  let vm = vms.get(key)
  if (vm === undefined) {
    vm = BlockVm.create(commonFor(chain, hardfork), {
      ...(chain.allowUnlimitedContractSize !== undefined ? { allowUnlimitedContractSize: chain.allowUnlimitedContractSize } : {}),
      ...(chain.allowSendersWithCode !== undefined ? { allowSendersWithCode: chain.allowSendersWithCode } : {}),
    })
    vms.set(key, vm)
  }
  return vm
}

/** Prepares the VM and the block's frame; shared by both executors. */
export async function startBlock(
  base: StateReader,
  block: BlockInput,
  chain: ChainConfig,
  options: AssemblyOptions,
): Promise<{ vm: BlockVm; assembler: BlockAssembler; preWrites: WriteEntry[] }> {
  const hardfork = hardforkOf(chain, block.header)
  const vm = await vmFor(chain, hardfork)
  vm.setBlock(blockFor(vm.common, block.header), block.blockHashes ?? new Map())
  const assembler = new BlockAssembler(vm, base, block, options)
  const preWrites = applyPreTransactions(vm, assembler.overlay, block)
  assembler.preTransactions(preWrites.map(([id]) => id))
  return { vm, assembler, preWrites }
}

export async function runOne(
  vm: BlockVm,
  block: BlockInput,
  index: number,
  source: Parameters<BlockVm["runTransaction"]>[2],
  options: RunOptions = {},
  decoded?: TypedTransaction,
): Promise<TxOutcome> {
  const input = block.transactions[index]
  if (input === undefined) throw new Error(`no transaction ${index}`)
  let tx
  try {
    tx = vm.decode(input, decoded)
  } catch (error) {
    return invalidOutcome(index, input.sender ?? "0x0000000000000000000000000000000000000000", 0n, `could not decode: ${(error as Error).message}`, new Map())
  }
  return vm.runTransaction(tx, index, source, options)
}

export async function executeSequential(
  base: StateReader,
  block: BlockInput,
  chain: ChainConfig,
  options: SequentialOptions,
  stats: Pick<ExecutionStats, "requestedMode" | "workers" | "fellBack" | "fallbackReason"> = {
    requestedMode: "sequential",
    workers: 1,
    fellBack: false,
  },
): Promise<BlockResult> {
  const started = performance.now()
  const { vm, assembler } = await startBlock(base, block, chain, options)
  const overlay = assembler.overlay
  const before = (id: string) => overlay.read(keyFromId(id))
  for (let i = 0; i < block.transactions.length; i++) {
    const outcome = await runOne(vm, block, i, overlay, { trace: options.trace === true }, options.decoded?.[i])
    assembler.add(finalize(outcome, (block.transactions[i] as BlockInput["transactions"][number]).raw, before, options.recordAccess))
  }
  const n = block.transactions.length
  const result = await assembler.finish({
    mode: "sequential",
    ...stats,
    transactions: n,
    incarnations: n,
    reExecutions: 0,
    validationAborts: 0,
    dependencyWaits: 0,
    wallMs: 0,
  })
  return { ...result, stats: { ...result.stats, wallMs: performance.now() - started } }
}
