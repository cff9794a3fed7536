/**
 * The block engine: executes a block over a pre-state, sequentially or with
 * Block-STM on worker threads, with identical results. Imports nothing from
 * Hardhat; usable on its own (see `replay.ts` for mainnet blocks).
 */
import { availableParallelism } from "node:os"

import { MAINNET } from "./chain.js"
import { ParallelExecutor } from "./parallel.js"
import { executeSequential } from "./sequential.js"
import type { BlockInput, BlockResult, ExecuteOptions } from "./types.js"
import type { WorldState } from "./worldState.js"

const executors = new Map<number, ParallelExecutor>()

/** A shared executor per worker count, so that threads and replicas are reused across calls. */
export function executorFor(workers: number = availableParallelism()): ParallelExecutor {
  let executor = executors.get(workers)
  if (executor === undefined) {
    executor = new ParallelExecutor({ workers })
    executors.set(workers, executor)
  }
  return executor
}

/** Stops the worker threads of the shared executors. */
export async function shutdownExecutors(): Promise<void> {
  const all = [...executors.values()]
  executors.clear()
  await Promise.all(all.map((e) => e.close()))
}

export async function executeBlock(preState: WorldState, block: BlockInput, options: ExecuteOptions): Promise<BlockResult> {
  const chain = options.chain ?? MAINNET
  if (options.mode === "sequential") {
    return executeSequential(preState, block, chain, {
      recordAccess: options.recordAccess ?? true,
      trace: options.trace ?? false,
      invalidTransactions: options.invalidTransactions ?? "throw",
      stateRoot: options.stateRoot ?? false,
    })
  }
  return executorFor(options.workers).execute(preState, block, chain, options)
}

export { MAINNET, commonFor, hardforkOf } from "./chain.js"
export { BEACON_ROOTS_ADDRESS, BEACON_ROOTS_CODE, InvalidBlockError } from "./frame.js"
export { ParallelExecutor, type FaultInjection, type ParallelExecutorOptions } from "./parallel.js"
export { loadReplayCase, type ReplayCase } from "./replay.js"
export { StateTrie, stateTrieOf } from "./stateRoot.js"
export { executeCall, intrinsicGasOf, replayTransaction, sufficesAt, type CallContext, type CallRequest } from "./call.js"
export { compareResults } from "./compare.js"
export { executeSequential } from "./sequential.js"
export { CONSOLE_ADDRESS, type GasWatch, type RunOptions, type TxOutcome } from "./vm.js"
export { orderedTrieRoot } from "./trie.js"
export * from "./types.js"
export { WorldState, type AccountRecord, type SerializedState, type StateReader } from "./worldState.js"
