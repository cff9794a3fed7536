/**
 * Engine workloads for `npm run bench`: each block runs sequentially and in
 * parallel in alternating rounds, so that both modes see the same machine
 * noise, and the speedup is the median of the per-round ratios. The
 * reference column is stock ethereumjs: runBlock on a MerkleStateManager.
 */
import { readdirSync } from "node:fs"
import { join } from "node:path"

import { createBlock } from "@ethereumjs/block"
import { MerkleStateManager } from "@ethereumjs/statemanager"
import { createTxFromRLP } from "@ethereumjs/tx"
import { Account, Address, hexToBytes, setLengthLeft, bigIntToBytes } from "@ethereumjs/util"
import { createVM, runBlock } from "@ethereumjs/vm"

import { commonFor, loadReplayCase, ParallelExecutor } from "../src/engine/index.js"
import type { BlockInput, ChainConfig, WorldState } from "../src/engine/index.js"
import { executeSequential } from "../src/engine/sequential.js"
import * as workloads from "../test/fixtures/workloads.js"

export interface EngineRow {
  readonly workload: string
  readonly transactions: number
  readonly sequentialTxPerSec: number
  readonly parallelTxPerSec: number
  readonly speedup: number
  readonly reExecutionsPerTx: number
  readonly referenceTxPerSec?: number
  readonly fellBack?: string
}

export interface EngineBenchOptions {
  readonly txs: number
  readonly workers: number
  readonly rounds: number
  readonly reference: boolean
  readonly mainnetDir?: string
  readonly mainnetLimit?: number
  readonly only?: string
  readonly progress: (line: string) => void
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

interface Measured {
  seqMs: number[]
  parMs: number[]
  ratios: number[]
  reExecutions: number[]
  fellBack?: string
}

async function measure(executor: ParallelExecutor, state: WorldState, block: BlockInput, chain: ChainConfig, rounds: number, tick: () => void): Promise<Measured> {
  const assembly = { recordAccess: true, invalidTransactions: "throw" as const }
  await executor.prepare(state, chain, block.header)
  // Warm both paths (JIT, VM caches) before timing.
  await executeSequential(state, block, chain, assembly)
  await executor.execute(state, block, chain, { mode: "parallel", minParallelTransactions: 2 })
  const out: Measured = { seqMs: [], parMs: [], ratios: [], reExecutions: [] }
  for (let round = 0; round < rounds; round++) {
    const seq = await executeSequential(state, block, chain, assembly)
    const par = await executor.execute(state, block, chain, { mode: "parallel", minParallelTransactions: 2 })
    out.seqMs.push(seq.stats.wallMs)
    out.parMs.push(par.stats.wallMs)
    out.ratios.push(seq.stats.wallMs / par.stats.wallMs)
    out.reExecutions.push(par.stats.reExecutions)
    if (par.stats.fellBack) out.fellBack = par.stats.fallbackReason
    if (seq.receiptsRoot !== par.receiptsRoot || seq.gasUsed !== par.gasUsed) throw new Error("parallel result differs from sequential")
    tick()
  }
  return out
}

/** Stock ethereumjs: the same block through runBlock on a MerkleStateManager (one run, state loaded untimed). */
async function reference(state: WorldState, block: BlockInput, chain: ChainConfig): Promise<number> {
  const common = commonFor(chain, chain.hardfork === "mainnet" ? "cancun" : chain.hardfork)
  const stateManager = new MerkleStateManager({ common })
  for (const [address, account] of state.accounts) {
    const addr = new Address(hexToBytes(address))
    await stateManager.putAccount(addr, new Account(account.nonce, account.balance))
    if (account.codeHash !== 0n) await stateManager.putCode(addr, state.code(account.codeHash) ?? new Uint8Array())
    for (const [slot, value] of account.storage) {
      await stateManager.putStorage(addr, hexToBytes(slot), setLengthLeft(bigIntToBytes(value), 32))
    }
  }
  const vm = await createVM({ common, stateManager })
  const ethBlock = createBlock(
    {
      header: {
        number: block.header.number,
        timestamp: block.header.timestamp,
        coinbase: hexToBytes(block.header.coinbase),
        gasLimit: block.header.gasLimit,
        baseFeePerGas: block.header.baseFeePerGas ?? 0n,
        ...(common.isActivatedEIP(4844) ? { excessBlobGas: 0n, blobGasUsed: 0n, parentBeaconBlockRoot: new Uint8Array(32) } : {}),
      },
      transactions: block.transactions.map((t) => createTxFromRLP(t.raw, { common })),
      ...(common.isActivatedEIP(4895) ? { withdrawals: [] } : {}),
    },
    { common, skipConsensusFormatValidation: true },
  )
  const started = performance.now()
  await runBlock(vm, { block: ethBlock, generate: true, skipBlockValidation: true, skipHeaderValidation: true, skipHardForkValidation: true })
  return block.transactions.length / ((performance.now() - started) / 1000)
}

export async function benchEngine(options: EngineBenchOptions): Promise<EngineRow[]> {
  const n = options.txs
  const builders: [string, () => Promise<workloads.Workload>][] = [
    ["raw", () => workloads.rawTransfers(n)],
    ["erc20-disjoint", () => workloads.erc20Disjoint(n)],
    ["erc20-hot", () => workloads.erc20Hot(n)],
    ["amm-many", () => workloads.ammSwaps(n, Math.max(2, Math.floor(n / 10)))],
    ["amm-one", () => workloads.ammSwaps(n, 1)],
    ["chained", () => workloads.chained(n)],
  ]
  const executor = new ParallelExecutor({ workers: options.workers })
  const rows: EngineRow[] = []
  try {
    for (const [id, build] of builders) {
      if (options.only !== undefined && !id.includes(options.only)) continue
      const workload = await build()
      let dots = ""
      const m = await measure(executor, workload.preState, workload.block, workload.chain, options.rounds, () => {
        dots += "."
        options.progress(`  ${workload.name} ${dots}`)
      })
      const txs = workload.block.transactions.length
      const refTps = options.reference ? await reference(workload.preState, workload.block, workload.chain) : undefined
      rows.push({
        workload: workload.name,
        transactions: txs,
        sequentialTxPerSec: txs / (median(m.seqMs) / 1000),
        parallelTxPerSec: txs / (median(m.parMs) / 1000),
        speedup: median(m.ratios),
        reExecutionsPerTx: median(m.reExecutions) / txs,
        ...(refTps !== undefined ? { referenceTxPerSec: refTps } : {}),
        ...(m.fellBack !== undefined ? { fellBack: m.fellBack } : {}),
      })
    }
    if (options.mainnetDir !== undefined && (options.only === undefined || "mainnet".includes(options.only))) {
      rows.push(await mainnetRow(executor, options))
    }
  } finally {
    await executor.close()
  }
  return rows
}

async function mainnetRow(executor: ParallelExecutor, options: EngineBenchOptions): Promise<EngineRow> {
  const dir = options.mainnetDir as string
  const names = readdirSync(dir).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(a) - Number(b))
  const chosen = names.slice(0, options.mainnetLimit ?? names.length)
  let txs = 0
  let seqMs = 0
  let parMs = 0
  let reExec = 0
  const ratios: number[] = []
  for (const [i, name] of chosen.entries()) {
    const replay = await loadReplayCase(join(dir, name))
    if (replay.block.transactions.length < 2) continue
    const m = await measure(executor, replay.preState, replay.block, replay.chain, Math.max(1, Math.floor(options.rounds / 2)), () => {})
    txs += replay.block.transactions.length
    seqMs += median(m.seqMs)
    parMs += median(m.parMs)
    reExec += median(m.reExecutions)
    ratios.push(median(m.ratios))
    options.progress(`  mainnet blocks ${i + 1}/${chosen.length}`)
  }
  return {
    workload: `mainnet blocks (${ratios.length}, mean of per-block speedups)`,
    transactions: txs,
    sequentialTxPerSec: txs / (seqMs / 1000),
    parallelTxPerSec: txs / (parMs / 1000),
    speedup: ratios.reduce((a, b) => a + b, 0) / ratios.length,
    reExecutionsPerTx: reExec / txs,
  }
}
