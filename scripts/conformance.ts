/**
 * npm run conformance -- <dir> [--workers N] [--json FILE]
 *
 * Replays every block of a folder in the mainnet-blocks format, sequentially
 * and in parallel, and checks both against the header (receiptsRoot, logsBloom,
 * gasUsed) and against each other (every receipt, access set and the post-state).
 * Exits with 1 on any mismatch.
 *
 * Before Byzantium a receipt holds the state root after its transaction, which
 * needs the whole state; these blocks carry only the part they read, so their
 * receiptsRoot is reported as "n/a" and checked through the two modes instead.
 */
import { readdirSync, writeFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { join } from "node:path"

import { compareResults } from "../src/engine/compare.js"
import { ParallelExecutor, loadReplayCase } from "../src/engine/index.js"
import { executeSequential } from "../src/engine/sequential.js"

function parseArgs(argv: string[]): { dir: string; workers: number; json?: string } {
  let dir: string | undefined
  let workers = availableParallelism()
  let json: string | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string
    if (arg === "--workers") workers = Number(argv[++i])
    else if (arg === "--json") json = argv[++i]
    else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`)
    else dir = arg
  }
  if (dir === undefined) {
    console.error("usage: npm run conformance -- <dir> [--workers N] [--json FILE]")
    process.exit(2)
  }
  return { dir, workers, ...(json !== undefined ? { json } : {}) }
}

const args = parseArgs(process.argv.slice(2))
const blocks = readdirSync(args.dir)
  .filter((name) => /^\d+$/.test(name))
  .sort((a, b) => Number(a) - Number(b))
if (blocks.length === 0) {
  console.error(`no blocks in ${args.dir}`)
  process.exit(2)
}

const executor = new ParallelExecutor({ workers: args.workers })
const rows: Record<string, unknown>[] = []
let failures = 0
let speedupSum = 0
let speedupCount = 0

const pad = (s: string | number, n: number) => String(s).padStart(n)
console.log(`Replaying ${blocks.length} blocks from ${args.dir} with ${args.workers} workers (sequential, then parallel)`)
console.log(
  `${pad("#", 3)} ${pad("block", 9)} ${pad("fork", 16)} ${pad("txs", 5)} ${pad("Mgas", 6)} ${pad("seq ms", 8)} ${pad("par ms", 8)} ${pad("speedup", 7)} ${pad("re-exec", 7)}  result`,
)

for (const [i, name] of blocks.entries()) {
  const replay = await loadReplayCase(join(args.dir, name))
  const options = { recordAccess: true, invalidTransactions: "throw" as const }
  // Warm both paths on this block first: replicas loaded, VMs built, JIT warm. Not timed.
  await executor.prepare(replay.preState, replay.chain, replay.block.header)
  await executeSequential(replay.preState, replay.block, replay.chain, options)
  await executor.execute(replay.preState, replay.block, replay.chain, { mode: "parallel", minParallelTransactions: 2 })

  const seq = await executeSequential(replay.preState, replay.block, replay.chain, options)
  const par = await executor.execute(replay.preState, replay.block, replay.chain, { mode: "parallel", minParallelTransactions: 2 })

  const problems: string[] = []
  if (seq.gasUsed !== replay.expected.gasUsed) problems.push(`gasUsed ${seq.gasUsed} != header ${replay.expected.gasUsed}`)
  if (seq.logsBloom !== replay.expected.logsBloom) problems.push("logsBloom differs from header")
  if (seq.receiptsRoot !== undefined && seq.receiptsRoot !== replay.expected.receiptsRoot) {
    problems.push(`receiptsRoot ${seq.receiptsRoot} != header ${replay.expected.receiptsRoot}`)
  }
  problems.push(...compareResults(seq, par).map((d) => `parallel != sequential: ${d}`))
  if (problems.length > 0) failures++

  const speedup = seq.stats.wallMs / par.stats.wallMs
  if (!par.stats.fellBack) {
    speedupSum += speedup
    speedupCount++
  }
  const root = seq.receiptsRoot === undefined ? "root n/a (pre-Byzantium)" : "root ok"
  const verdict = problems.length === 0 ? `match (${root}${par.stats.fellBack ? `; ${par.stats.fallbackReason}` : ""})` : `MISMATCH: ${problems[0]}`
  console.log(
    `${pad(i + 1, 3)} ${pad(name, 9)} ${pad(replay.hardfork, 16)} ${pad(replay.block.transactions.length, 5)} ${pad((Number(seq.gasUsed) / 1e6).toFixed(1), 6)} ${pad(seq.stats.wallMs.toFixed(1), 8)} ${pad(par.stats.wallMs.toFixed(1), 8)} ${pad(speedup.toFixed(2) + "x", 7)} ${pad(par.stats.reExecutions, 7)}  ${verdict}`,
  )
  for (const problem of problems.slice(1, 6)) console.log(`      ${problem}`)
  rows.push({
    block: Number(name),
    hardfork: replay.hardfork,
    transactions: replay.block.transactions.length,
    gasUsed: Number(seq.gasUsed),
    sequentialMs: seq.stats.wallMs,
    parallelMs: par.stats.wallMs,
    speedup,
    reExecutions: par.stats.reExecutions,
    fellBack: par.stats.fellBack,
    receiptsRootChecked: seq.receiptsRoot !== undefined,
    matched: problems.length === 0,
    problems,
  })
}

await executor.close()
const mean = speedupCount > 0 ? speedupSum / speedupCount : 0
console.log(
  `\n${blocks.length - failures}/${blocks.length} blocks matched; mean speedup ${mean.toFixed(2)}x over ${speedupCount} parallel blocks (${args.workers} workers)`,
)
if (args.json !== undefined) {
  writeFileSync(args.json, JSON.stringify({ workers: args.workers, meanSpeedup: mean, failures, blocks: rows }, null, 2))
}
process.exit(failures > 0 ? 1 : 0)
