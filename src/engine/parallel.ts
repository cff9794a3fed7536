/**
 * The parallel executor: a piscina pool whose threads run Block-STM on a
 * block's shared memory. The main thread only prepares the block (system
 * writes, replica sync, shared buffers), starts one task per worker, and
 * assembles the outcomes in block order.
 *
 * Whatever goes wrong in the workers — a thread dies, stops answering, or the
 * shared memory runs out — the block is run again sequentially, in-process,
 * and the stats say why. No transaction is lost.
 */
import { availableParallelism } from "node:os"

import { Piscina } from "piscina"

import { Ctrl, allocateBlockMemory, layoutFor, viewsOf } from "./blockMemory.js"
import { commonFor, hardforkOf } from "./chain.js"
import { NativeGate, closeOnExit, terminateGated } from "./nativeGate.js"
import { linkGivenSenders } from "./senders.js"
import { executeSequential, startBlock } from "./sequential.js"
import type { BlockInput, BlockResult, ChainConfig, ExecuteOptions } from "./types.js"
import type { BlockTask, ReplicaSync, SyncTask, TaskResult } from "./worker.js"
import type { FinalTx } from "./finalize.js"
import type { SerializedState, WorldState } from "./worldState.js"

export interface ParallelExecutorOptions {
  /** Worker threads; defaults to the number of cores. */
  readonly workers?: number
  /** A block whose workers have not all finished by then is re-run sequentially (default 60 s). */
  readonly blockTimeoutMs?: number
}

/** Test hooks, to prove that failures lose nothing. */
export interface FaultInjection {
  /** The thread that executes this transaction stops answering. */
  readonly hangAtTx?: number
  /** Called once the block's tasks are running; may kill a thread (never inside a native call). */
  readonly onBlockStarted?: (threads: readonly { terminate(): Promise<number> }[]) => void
}

const MAX_GROWTH = 16

/** The cheapest way to touch a new key in this block's fork (EIP-150 repriced state access). */
function gasPerAccess(chain: ChainConfig, header: BlockInput["header"]): bigint {
  const common = commonFor(chain, hardforkOf(chain, header))
  if (common.gteHardfork("berlin")) return 2100n
  return common.gteHardfork("tangerineWhistle") ? 200n : 20n
}

function workerFile(): string {
  return new URL("./workerEntry.mjs", import.meta.url).href
}

export class ParallelExecutor {
  readonly workers: number
  private readonly timeoutMs: number
  private pool: Piscina | undefined
  /** Shared with the pool's threads (the next pool's, while there is none): closed before any thread is terminated. */
  private gate = new NativeGate()
  /** Undoes closing the live pool's gate at process exit. */
  private keepOpenAtExit: (() => void) | undefined
  /** What each thread's replica holds, as reported by its last task. */
  private readonly replicas = new Map<number, { stateId: string; version: number }>()
  private serialized: { stateId: string; version: number; data: SerializedState } | undefined
  faults: FaultInjection | undefined
  private lastResults: TaskResult[] = []

  constructor(options: ParallelExecutorOptions = {}) {
    this.workers = Math.max(1, options.workers ?? availableParallelism())
    this.timeoutMs = options.blockTimeoutMs ?? 60_000
  }

  private get threads(): Piscina {
    if (this.pool === undefined) {
      this.pool = new Piscina({
        filename: workerFile(),
        minThreads: this.workers,
        maxThreads: this.workers,
        idleTimeout: Number.POSITIVE_INFINITY,
        concurrentTasksPerWorker: 1,
      })
      this.keepOpenAtExit = closeOnExit(this.gate)
      this.replicas.clear()
    }
    return this.pool
  }

  /** Loads `state` into every worker's replica (and warms their VMs), outside any timing. */
  async prepare(state: WorldState, chain: ChainConfig, header: BlockInput["header"]): Promise<void> {
    const barrier = new SharedArrayBuffer(4)
    const task: SyncTask = {
      kind: "sync",
      sync: this.syncFor(state),
      barrier,
      parties: this.workers,
      chain,
      warmHardfork: hardforkOf(chain, header),
      nativeGate: this.gate.buffer,
    }
    const results = await Promise.all(Array.from({ length: this.workers }, () => this.threads.run(task) as Promise<TaskResult>))
    for (const result of results) this.noteReplica(result)
  }

  async execute(preState: WorldState, block: BlockInput, chain: ChainConfig, options: ExecuteOptions): Promise<BlockResult> {
    const started = performance.now()
    const assembly = {
      recordAccess: options.recordAccess ?? true,
      trace: options.trace ?? false,
      invalidTransactions: options.invalidTransactions ?? ("throw" as const),
      stateRoot: options.stateRoot ?? false,
    }
    const n = block.transactions.length
    const minTxs = options.minParallelTransactions ?? 2 * this.workers
    const gas = block.transactions.length === 0 ? 0n : block.header.gasLimit
    if (n < minTxs || (options.minParallelGas !== undefined && gas < options.minParallelGas) || this.workers < 2) {
      const reason = this.workers < 2 ? "one worker" : `small block: ${n} transactions (parallel from ${minTxs})`
      return executeSequential(preState, block, chain, assembly, { requestedMode: "parallel", workers: this.workers, fellBack: true, fallbackReason: reason })
    }

    let factor = 1
    for (;;) {
      const { assembler, preWrites } = await startBlock(preState, block, chain, assembly)
      const memory = allocateBlockMemory(layoutFor(n, factor, block.header.gasLimit, gasPerAccess(chain, block.header)))
      linkGivenSenders(block.transactions, block.header.coinbase, viewsOf(memory))
      const task: BlockTask = {
        kind: "block",
        memory,
        // Structured clone keeps a Map's entries but not another ReadonlyMap's methods.
        block: block.blockHashes === undefined || block.blockHashes instanceof Map ? block : { ...block, blockHashes: new Map(block.blockHashes) },
        chain,
        preWrites,
        sync: this.syncFor(preState),
        recordAccess: assembly.recordAccess,
        trace: assembly.trace,
        nativeGate: this.gate.buffer,
        ...(this.faults?.hangAtTx !== undefined ? { hangAtTx: this.faults.hangAtTx } : {}),
      }
      const failure = await this.runTasks(task)
      const ctrl = viewsOf(memory).ctrl
      if (failure === undefined && Atomics.load(ctrl, Ctrl.overflow) !== 0 && factor < MAX_GROWTH) {
        factor *= 4
        continue
      }
      const outcomes = failure === undefined ? this.collect(ctrl, n) : failure
      if (typeof outcomes === "string") {
        const result = await executeSequential(preState, block, chain, assembly, {
          requestedMode: "parallel",
          workers: this.workers,
          fellBack: true,
          fallbackReason: outcomes,
        })
        return { ...result, stats: { ...result.stats, wallMs: performance.now() - started } }
      }
      for (const outcome of outcomes) assembler.add(outcome)
      const incarnations = Atomics.load(ctrl, Ctrl.incarnations)
      const result = await assembler.finish({
        mode: "parallel",
        requestedMode: "parallel",
        workers: this.workers,
        transactions: n,
        incarnations,
        reExecutions: incarnations - n,
        validationAborts: Atomics.load(ctrl, Ctrl.validationAborts),
        dependencyWaits: Atomics.load(ctrl, Ctrl.dependencyWaits),
        fellBack: false,
        wallMs: 0,
      })
      return { ...result, stats: { ...result.stats, wallMs: performance.now() - started } }
    }
  }

  async close(): Promise<void> {
    const pool = this.pool
    this.pool = undefined
    this.replicas.clear()
    if (pool === undefined) return
    // Destroying terminates the threads; none may be inside a native call then.
    const gate = this.gate
    this.keepOpenAtExit?.()
    this.keepOpenAtExit = undefined
    this.gate = new NativeGate()
    await gate.close()
    await pool.destroy()
  }

  /** Runs one task per worker. Returns a failure reason, or undefined when all finished. */
  private async runTasks(task: BlockTask): Promise<string | undefined> {
    const pool = this.threads
    const ctrl = viewsOf(task.memory).ctrl
    const runs = Array.from({ length: this.workers }, () => pool.run(task) as Promise<TaskResult>)
    const gate = this.gate
    this.faults?.onBlockStarted?.(pool.threads.map((thread) => ({ terminate: () => terminateGated(gate, thread) })))
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), this.timeoutMs)
    })
    const settled = Promise.allSettled(runs)
    // A thread that dies leaves work it had claimed unfinished, so the others would wait for it
    // until the timeout: the first rejection is enough to stop the block.
    const firstFailure = new Promise<PromiseSettledResult<TaskResult>[]>((resolve) => {
      for (const run of runs) run.catch((reason: unknown) => resolve([{ status: "rejected", reason }]))
    })
    const first = await Promise.race([settled, timeout, firstFailure])
    clearTimeout(timer)
    if (first === "timeout") {
      Atomics.store(ctrl, Ctrl.halt, 1)
      await this.close() // a thread that does not answer can only be terminated
      return `a worker did not finish within ${this.timeoutMs} ms`
    }
    const failed = first.find((r) => r.status === "rejected")
    if (failed !== undefined) {
      Atomics.store(ctrl, Ctrl.halt, 1)
      await this.close()
      return `a worker failed: ${String((failed as PromiseRejectedResult).reason?.message ?? failed.reason)}`
    }
    const results = first.map((r) => (r as PromiseFulfilledResult<TaskResult>).value)
    for (const result of results) this.noteReplica(result)
    if (results.some((r) => !r.synced)) {
      this.replicas.clear()
      return "a worker's state replica was out of date"
    }
    this.lastResults = results
    return undefined
  }

  private collect(ctrl: Int32Array, n: number): FinalTx[] | string {
    if (Atomics.load(ctrl, Ctrl.overflow) !== 0) return "the block needs more shared memory than allowed"
    if (Atomics.load(ctrl, Ctrl.done) === 0) return "the workers stopped before the block was done"
    const outcomes = new Array<FinalTx | undefined>(n)
    for (const result of this.lastResults) for (const outcome of result.outcomes) outcomes[outcome.index] = outcome
    for (let i = 0; i < n; i++) if (outcomes[i] === undefined) return `no outcome for transaction ${i}`
    return outcomes as FinalTx[]
  }

  private noteReplica(result: TaskResult): void {
    if (result.synced) this.replicas.set(result.threadId, { stateId: result.stateId, version: result.version })
    else this.replicas.delete(result.threadId)
  }

  /** Diffs for replicas that are behind on this lineage; the full state if any thread may lack it. */
  private syncFor(state: WorldState): ReplicaSync {
    const known = [...this.replicas.values()].filter((r) => r.stateId === state.id && r.version <= state.version)
    const allKnown = known.length >= this.workers && this.replicas.size >= this.workers
    const oldest = Math.min(...known.map((r) => r.version))
    const diffs = known.length > 0 ? state.changesSince(oldest) : undefined
    if (allKnown && diffs !== undefined) return { stateId: state.id, version: state.version, diffs }
    if (this.serialized?.stateId !== state.id || this.serialized.version !== state.version) {
      this.serialized = { stateId: state.id, version: state.version, data: state.serialize() }
    }
    return { stateId: state.id, version: state.version, diffs: diffs ?? [], full: this.serialized.data }
  }
}
