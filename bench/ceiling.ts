/**
 * The machine's own ceiling for a parallel speedup on this work: the same
 * block (ERC-20 transfers, or raw ETH transfers) run sequentially in one
 * thread, then in N threads at once, each on its own copy and with no
 * coordination at all. N blocks in the time of
 * one would be N×; shared cores (SMT siblings, caches, memory bandwidth) and
 * the garbage collector's helper threads make it less. No executor can beat
 * this figure, so the engine table's speedups are read against it.
 */
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads"

import { executeSequential } from "../src/engine/sequential.js"
import * as workloads from "../test/fixtures/workloads.js"

/** The workloads whose ceiling is measured, by the engine table's names. */
export const CEILING_WORKLOADS = {
  "ERC-20, disjoint accounts": workloads.erc20Disjoint,
  "raw transfers": workloads.rawTransfers,
} as const
export type CeilingWorkload = keyof typeof CEILING_WORKLOADS

interface CeilingJob {
  readonly workload: CeilingWorkload
  readonly txs: number
}

export interface CeilingResult {
  readonly workload: CeilingWorkload
  readonly threads: number
  /** Median ms per block, one thread alone. */
  readonly aloneMs: number
  /** Median ms per block (the slowest thread), N threads at once. */
  readonly togetherMs: number
  /** threads × alone / together: the throughput gain that N threads give. */
  readonly speedup: number
}

const BLOCKS_PER_THREAD = 4

async function runBlocks({ workload, txs }: CeilingJob): Promise<number> {
  const w = await CEILING_WORKLOADS[workload](txs)
  const assembly = { recordAccess: true, invalidTransactions: "throw" as const }
  await executeSequential(w.preState, w.block, w.chain, assembly) // warm up
  const started = performance.now()
  for (let i = 0; i < BLOCKS_PER_THREAD; i++) await executeSequential(w.preState, w.block, w.chain, assembly)
  return (performance.now() - started) / BLOCKS_PER_THREAD
}

function inThreads(threads: number, job: CeilingJob): Promise<number[]> {
  return Promise.all(
    Array.from(
      { length: threads },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(new URL(import.meta.url), { workerData: job, execArgv: ["--import", "tsx"] })
          worker.once("message", (ms: number) => resolve(ms))
          worker.once("error", reject)
        }),
    ),
  )
}

export async function measureCeiling(
  workload: CeilingWorkload,
  threads: number,
  txs: number,
  rounds: number,
  progress: (line: string) => void,
): Promise<CeilingResult> {
  const alone: number[] = []
  const together: number[] = []
  const ratios: number[] = []
  for (let round = 0; round < rounds; round++) {
    progress(`  machine ceiling, ${workload} ${round + 1}/${rounds}`)
    const [one] = await inThreads(1, { workload, txs })
    const all = Math.max(...(await inThreads(threads, { workload, txs })))
    alone.push(one as number)
    together.push(all)
    ratios.push((threads * (one as number)) / all)
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number
  return { workload, threads, aloneMs: median(alone), togetherMs: median(together), speedup: median(ratios) }
}

if (!isMainThread) parentPort?.postMessage(await runBlocks(workerData as CeilingJob))
