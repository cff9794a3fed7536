/**
 * Worker faults lose nothing: when a worker thread dies or stops answering in
 * the middle of a block, the block is run again sequentially, the result is
 * exactly the sequential one, the stats say why, and the same executor runs
 * its next block in parallel again.
 *
 * To show that a fault really hit a block in progress, the tests watch the
 * block's shared memory: they spy on Piscina's `run` (the executor starts one
 * task per worker with it) to get the task, and so the block's buffer.
 */
import { expect } from "chai"
import { Piscina } from "piscina"

import { Ctrl, viewsOf, type BlockViews } from "../../src/engine/blockMemory.js"
import { compareResults } from "../../src/engine/compare.js"
import { ParallelExecutor, executeBlock, type FaultInjection } from "../../src/engine/index.js"
import type { BlockInput, BlockResult, ExecuteOptions } from "../../src/engine/index.js"
import { EXECUTING } from "../../src/engine/scheduler.js"
import type { BlockTask } from "../../src/engine/worker.js"
import { rawTransfers, type Workload } from "../fixtures/workloads.js"

const TRANSACTIONS = 256
/** Far above what the block needs (well under a second), so that only a real hang reaches it. */
const GENEROUS_TIMEOUT_MS = 10_000
const SHORT_TIMEOUT_MS = 2_000
const PARALLEL: ExecuteOptions = { mode: "parallel" }

interface TaskSpy {
  /** The block tasks started while the spy was on, in order. */
  readonly blocks: BlockTask[]
  /** How each task started while the spy was on settled. */
  settled(): Promise<PromiseSettledResult<unknown>[]>
  restore(): void
}

/** Records the tasks the executor hands to Piscina, and how they end, without changing them. */
function spyOnTasks(): TaskSpy {
  const original = Piscina.prototype.run
  const blocks: BlockTask[] = []
  const runs: Promise<unknown>[] = []
  Piscina.prototype.run = function (this: Piscina, task: unknown, options?: Parameters<Piscina["run"]>[1]) {
    if ((task as { kind?: string }).kind === "block") blocks.push(task as BlockTask)
    const run = original.call(this, task, options)
    runs.push(run)
    return run
  }
  return {
    blocks,
    settled: () => Promise.allSettled(runs),
    restore: () => {
      Piscina.prototype.run = original
    },
  }
}

function statusOf(views: BlockViews, tx: number): number {
  return Atomics.load(views.status, tx) & 3
}

const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 1))

describe("engine: worker faults fall back to sequential and lose nothing", function () {
  let workload: Workload
  let sequential: BlockResult
  /** The same block with every sender given, so the workers skip the sender pre-pass. */
  let withSenders: BlockInput

  before(async function () {
    workload = await rawTransfers(TRANSACTIONS)
    sequential = await executeBlock(workload.preState, workload.block, { mode: "sequential", chain: workload.chain })
    expect(sequential.transactions.every((tx) => tx.included && tx.receipt.status === 1)).to.equal(true)
    withSenders = {
      ...workload.block,
      transactions: workload.block.transactions.map((tx, i) => ({ ...tx, sender: sequential.transactions[i]?.sender })),
    }
  })

  /** Runs the block on the executor with the faults set, then without: the next block must be parallel again. */
  async function runWithFault(
    executor: ParallelExecutor,
    block: BlockInput,
    faults: FaultInjection | ((latestBlock: () => BlockViews) => FaultInjection),
    { prepareAfter = false } = {},
  ): Promise<{ result: BlockResult; views: BlockViews; settled: PromiseSettledResult<unknown>[] }> {
    // A clean parallel run first, on threads that have loaded the state and built their VMs
    // (outside any block timeout), so that the fault hits a warm pool.
    await executor.prepare(workload.preState, workload.chain, block.header)
    const warm = await executor.execute(workload.preState, block, workload.chain, PARALLEL)
    expect(warm.stats.mode, "warm-up run").to.equal("parallel")

    const spy = spyOnTasks()
    executor.faults =
      typeof faults === "function"
        ? faults(() => {
            const task = spy.blocks.at(-1)
            if (task === undefined) throw new Error("no block task seen yet")
            return viewsOf(task.memory)
          })
        : faults
    let result: BlockResult
    try {
      result = await executor.execute(workload.preState, block, workload.chain, PARALLEL)
    } finally {
      executor.faults = undefined
      spy.restore()
    }
    expect(spy.blocks, "one block task per worker").to.have.length(executor.workers)
    const views = viewsOf((spy.blocks[0] as BlockTask).memory)
    const settled = await spy.settled()

    expect(compareResults(sequential, result), "the fallen-back result equals the sequential one").to.deep.equal([])
    expect(result.stats.fellBack).to.equal(true)
    expect(result.stats.mode).to.equal("sequential")
    expect(result.stats.requestedMode).to.equal("parallel")
    expect(result.transactions).to.have.length(TRANSACTIONS)
    expect(Atomics.load(views.ctrl, Ctrl.halt), "the workers were told to stop").to.equal(1)

    // The same executor: the next block runs in parallel again, and right. With a short block
    // timeout, the new threads first load the state outside it (a cold start takes about a second).
    if (prepareAfter) await executor.prepare(workload.preState, workload.chain, block.header)
    const next = await executor.execute(workload.preState, block, workload.chain, PARALLEL)
    expect(next.stats.mode, `after the fault: ${next.stats.fallbackReason}`).to.equal("parallel")
    expect(next.stats.fellBack).to.equal(false)
    expect(compareResults(sequential, next)).to.deep.equal([])
    return { result, views, settled }
  }

  function rejectedBecauseExited(settled: PromiseSettledResult<unknown>[]): number {
    return settled.filter((s) => s.status === "rejected" && /exited/.test(String((s.reason as Error)?.message ?? s.reason))).length
  }

  it('a thread killed as the block starts: sequential result, "a worker failed"', async function () {
    const executor = new ParallelExecutor({ workers: 2, blockTimeoutMs: GENEROUS_TIMEOUT_MS })
    try {
      const kills: Promise<number>[] = []
      const { result, settled } = await runWithFault(executor, workload.block, {
        onBlockStarted: (threads) => {
          expect(threads).to.have.length(2)
          kills.push((threads[0] as (typeof threads)[number]).terminate())
        },
      })
      expect(kills).to.have.length(1)
      await Promise.all(kills)
      expect(rejectedBecauseExited(settled), "the killed thread's task failed").to.equal(1)
      expect(result.stats.fallbackReason).to.match(/a worker failed/)
    } finally {
      await executor.close()
    }
  })

  it('a thread killed a quarter of the way through the block: sequential result, "a worker failed"', async function () {
    // Killed wherever it happens to be: in a transaction, holding a key's lock, between tasks.
    // The last transaction hangs, so that the block cannot have finished before the kill.
    const executor = new ParallelExecutor({ workers: 2, blockTimeoutMs: GENEROUS_TIMEOUT_MS })
    const quarter = TRANSACTIONS / 4
    try {
      let atKill: { executionIdx: number; done: number } | undefined
      let killed: Promise<number> | undefined
      const { result, settled } = await runWithFault(executor, withSenders, (latestBlock) => ({
        hangAtTx: TRANSACTIONS - 1,
        onBlockStarted: (threads) => {
          const memory = latestBlock()
          void (async () => {
            while (Atomics.load(memory.ctrl, Ctrl.executionIdx) < quarter && Atomics.load(memory.ctrl, Ctrl.halt) === 0) await tick()
            atKill = { executionIdx: Atomics.load(memory.ctrl, Ctrl.executionIdx), done: Atomics.load(memory.ctrl, Ctrl.done) }
            killed = (threads[0] as (typeof threads)[number]).terminate()
          })()
        },
      }))
      await killed
      expect(atKill).to.not.equal(undefined)
      expect(atKill?.executionIdx, "the block was under way").to.be.at.least(quarter)
      expect(atKill?.done, "and not done").to.equal(0)
      expect(rejectedBecauseExited(settled), "the killed thread's task failed").to.equal(1)
      expect(result.stats.fallbackReason).to.match(/a worker failed/)
    } finally {
      await executor.close()
    }
  })

  it('a thread killed while transaction 100 is mid-execution: sequential result, "a worker failed"', async function () {
    // The thread that takes transaction 100 stops there (hangAtTx); once it has, one thread is killed.
    // Whichever it is, a thread is gone mid-block and no thread can finish the block alone.
    const executor = new ParallelExecutor({ workers: 2, blockTimeoutMs: GENEROUS_TIMEOUT_MS })
    const at = 100
    try {
      let killed: Promise<number> | undefined
      let reachedAt = false
      const { result, views, settled } = await runWithFault(executor, withSenders, (latestBlock) => ({
        hangAtTx: at,
        onBlockStarted: (threads) => {
          const memory = latestBlock()
          void (async () => {
            while (statusOf(memory, at) !== EXECUTING && Atomics.load(memory.ctrl, Ctrl.halt) === 0) await tick()
            reachedAt = statusOf(memory, at) === EXECUTING
            if (reachedAt) killed = (threads[0] as (typeof threads)[number]).terminate()
          })()
        },
      }))
      expect(reachedAt, `transaction ${at} was being executed when the thread was killed`).to.equal(true)
      expect(killed).to.not.equal(undefined)
      await killed
      expect(statusOf(views, at)).to.equal(EXECUTING)
      expect(Atomics.load(views.ctrl, Ctrl.done), "the parallel attempt did not complete").to.equal(0)
      expect(rejectedBecauseExited(settled), "the killed thread's task failed").to.equal(1)
      expect(result.stats.fallbackReason).to.match(/a worker failed/)
    } finally {
      await executor.close()
    }
  })

  it("a thread stuck on a transaction: sequential result after the block timeout", async function () {
    const executor = new ParallelExecutor({ workers: 2, blockTimeoutMs: SHORT_TIMEOUT_MS })
    const at = 100
    try {
      const { result, views } = await runWithFault(executor, workload.block, { hangAtTx: at }, { prepareAfter: true })
      // The stuck thread had taken transaction `at` and never finished it; the block was under way.
      expect(statusOf(views, at), `transaction ${at} is still executing`).to.equal(EXECUTING)
      expect(Atomics.load(views.ctrl, Ctrl.incarnations)).to.be.at.least(at)
      expect(Atomics.load(views.ctrl, Ctrl.done), "the parallel attempt did not complete").to.equal(0)
      expect(result.stats.fallbackReason).to.match(new RegExp(`did not finish within ${SHORT_TIMEOUT_MS} ms`))
    } finally {
      await executor.close()
    }
  })

  it("a stuck thread does not hold up the following blocks", async function () {
    const executor = new ParallelExecutor({ workers: 2, blockTimeoutMs: SHORT_TIMEOUT_MS })
    try {
      await runWithFault(executor, withSenders, { hangAtTx: TRANSACTIONS - 1 }, { prepareAfter: true })
      for (let i = 0; i < 2; i++) {
        const result = await executor.execute(workload.preState, workload.block, workload.chain, PARALLEL)
        expect(result.stats.mode).to.equal("parallel")
        expect(compareResults(sequential, result)).to.deep.equal([])
        for (let tx = 0; tx < TRANSACTIONS; tx++) expect(result.transactions[tx]?.included).to.equal(true)
      }
    } finally {
      await executor.close()
    }
  })
})
