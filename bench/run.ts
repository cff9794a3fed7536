/**
 * npm run bench -- [--json FILE] [--workers N] [--txs N] [--rounds N] [--only NAME]
 *                  [--mainnet DIR] [--mainnet-limit N] [--no-reference]
 *
 * Prints a table per workload: sequential and parallel transactions per
 * second, the speedup (median of per-round ratios, both modes measured side
 * by side in each round), re-executions per transaction, and stock
 * ethereumjs (runBlock on MerkleStateManager) for reference.
 */
import { existsSync, writeFileSync } from "node:fs"
import { availableParallelism, cpus, totalmem } from "node:os"

import { benchEngine, type EngineRow } from "./engine.js"

interface Args {
  json?: string
  workers: number
  txs: number
  rounds: number
  only?: string
  mainnet?: string
  mainnetLimit?: number
  reference: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { workers: availableParallelism(), txs: 1000, rounds: 5, reference: true }
  const defaultMainnet = "../shared/mainnet-blocks"
  if (existsSync(defaultMainnet)) args.mainnet = defaultMainnet
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    const value = () => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${arg} needs a value`)
      return v
    }
    if (arg === "--json") args.json = value()
    else if (arg === "--workers") args.workers = Number(value())
    else if (arg === "--txs") args.txs = Number(value())
    else if (arg === "--rounds") args.rounds = Number(value())
    else if (arg === "--only") args.only = value()
    else if (arg === "--mainnet") args.mainnet = value()
    else if (arg === "--mainnet-limit") args.mainnetLimit = Number(value())
    else if (arg === "--no-mainnet") delete args.mainnet
    else if (arg === "--no-reference") args.reference = false
    else throw new Error(`unknown option ${arg}`)
  }
  return args
}

function table(rows: EngineRow[], workers: number): string {
  const header = ["workload", "txs", "seq tx/s", `par tx/s (${workers}w)`, "speedup", "re-exec/tx", "ethereumjs tx/s"]
  const body = rows.map((r) => [
    r.workload + (r.fellBack !== undefined ? " *" : ""),
    String(r.transactions),
    r.sequentialTxPerSec.toFixed(0),
    r.parallelTxPerSec.toFixed(0),
    `${r.speedup.toFixed(2)}x`,
    r.reExecutionsPerTx.toFixed(2),
    r.referenceTxPerSec !== undefined ? r.referenceTxPerSec.toFixed(0) : "-",
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ")
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n")
}

const args = parseArgs(process.argv.slice(2))
const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
console.log(`hardhat-pevm engine benchmark: ${args.txs} transactions a block, ${args.workers} workers, ${args.rounds} rounds; ${machine}`)
const tty = process.stdout.isTTY === true
const rows = await benchEngine({
  txs: args.txs,
  workers: args.workers,
  rounds: args.rounds,
  reference: args.reference,
  ...(args.mainnet !== undefined ? { mainnetDir: args.mainnet } : {}),
  ...(args.mainnetLimit !== undefined ? { mainnetLimit: args.mainnetLimit } : {}),
  ...(args.only !== undefined ? { only: args.only } : {}),
  progress: (line) => {
    if (tty) process.stdout.write(`\r${line}\x1b[K`)
    else if (line.endsWith(".") === false || line.endsWith(`${".".repeat(args.rounds)}`)) console.log(line)
  },
})
if (tty) process.stdout.write("\r\x1b[K")
console.log()
console.log(table(rows, args.workers))
if (rows.some((r) => r.fellBack !== undefined)) console.log("* ran sequentially: " + rows.filter((r) => r.fellBack).map((r) => r.fellBack).join("; "))
if (args.json !== undefined) {
  writeFileSync(
    args.json,
    JSON.stringify({ date: new Date().toISOString(), machine, workers: args.workers, txs: args.txs, rounds: args.rounds, rows }, null, 2),
  )
  console.log(`wrote ${args.json}`)
}
