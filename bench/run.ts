/**
 * npm run bench -- [--json FILE] [--workers N] [--txs N] [--rounds N] [--only NAME]
 *                  [--mainnet DIR] [--mainnet-limit N] [--no-reference] [--no-rpc]
 *
 * Prints two tables. The engine's, a row per workload: sequential and
 * parallel transactions per second, the speedup (median of per-round ratios,
 * both modes measured side by side in each round), re-executions per
 * transaction, and stock ethereumjs (runBlock on MerkleStateManager) for
 * reference. Then the node's, end to end through JSON-RPC against Hardhat's
 * EDR network (bench/rpc.ts): queueing N transfers and `evm_mine`, the mine
 * alone, automine throughput. Under the engine table, the machine ceiling
 * (bench/ceiling.ts): what N threads give this machine with no coordination
 * at all. `--only rpc` runs only the node's table, `--only ceiling` only the
 * ceiling, `--no-rpc` skips the node's table; `--rounds` defaults to 5 for the engine and 3 for the node (EDR
 * needs over a minute for some of its steps); the node's progress goes to
 * stderr.
 */
import { existsSync, writeFileSync } from "node:fs"
import { availableParallelism, cpus, totalmem } from "node:os"

import { CEILING_WORKLOADS, measureCeiling, type CeilingResult, type CeilingWorkload } from "./ceiling.js"
import { benchEngine, type EngineRow } from "./engine.js"
import { benchRpc, SEND_METHODS, type RpcRow } from "./rpc.js"

interface Args {
  json?: string
  workers: number
  txs: number
  rounds?: number
  only?: string
  rpc: boolean
  mainnet?: string
  mainnetLimit?: number
  reference: boolean
}

function parseArgs(argv: string[]): Args {
  const args: Args = { workers: availableParallelism(), txs: 1000, reference: true, rpc: true }
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
    else if (arg === "--no-rpc") args.rpc = false
    else throw new Error(`unknown option ${arg}`)
  }
  return args
}

/** Columns padded to width: the first left-aligned, the others right-aligned. */
function render(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)))
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join("  ")
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n")
}

function table(rows: EngineRow[], workers: number): string {
  const header = ["workload", "txs", "seq tx/s", `par tx/s (${workers}w)`, "speedup", "re-exec/tx", "ethereumjs tx/s"]
  return render(
    header,
    rows.map((r) => [
      r.workload + (r.fellBack !== undefined ? " *" : ""),
      String(r.transactions),
      r.sequentialTxPerSec.toFixed(0),
      r.parallelTxPerSec.toFixed(0),
      `${r.speedup.toFixed(2)}x`,
      r.reExecutionsPerTx.toFixed(2),
      r.referenceTxPerSec !== undefined ? r.referenceTxPerSec.toFixed(0) : "-",
    ]),
  )
}

function rpcTable(rows: RpcRow[], workers: number): string {
  const header = ["workload", "sends", "txs", "rounds", `pevm ms (${workers}w)`, "EDR ms", "pevm tx/s", "EDR tx/s", "vs EDR", "target"]
  return render(
    header,
    rows.map((r) => [
      r.workload,
      r.send,
      String(r.transactions),
      String(r.rounds),
      r.pevmMs.toFixed(1),
      r.edrMs.toFixed(1),
      r.pevmTxPerSec.toFixed(0),
      r.edrTxPerSec.toFixed(0),
      `${r.speedupVsEdr.toFixed(2)}x`,
      r.target !== undefined ? `${r.target.description}: ${r.target.met ? "met" : "MISSED"}` : "",
    ]),
  )
}

const args = parseArgs(process.argv.slice(2))
const machine = `${cpus().length} x ${cpus()[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`
const tty = process.stdout.isTTY === true
const runEngine = args.only !== "rpc"
const runRpc = args.rpc && (args.only === undefined || "rpc".includes(args.only))
const engineRounds = args.rounds ?? 5
const rpcRounds = args.rounds ?? 3
let rows: EngineRow[] = []
const ceilings: CeilingResult[] = []
if (runEngine) {
  console.log(`hardhat-pevm engine benchmark: ${args.txs} transactions a block, ${args.workers} workers, ${engineRounds} rounds; ${machine}`)
  rows = await benchEngine({
    txs: args.txs,
    workers: args.workers,
    rounds: engineRounds,
    reference: args.reference,
    ...(args.mainnet !== undefined ? { mainnetDir: args.mainnet } : {}),
    ...(args.mainnetLimit !== undefined ? { mainnetLimit: args.mainnetLimit } : {}),
    ...(args.only !== undefined ? { only: args.only } : {}),
    progress: (line) => {
      if (tty) process.stdout.write(`\r${line}\x1b[K`)
      else if (line.endsWith(".") === false || line.endsWith(`${".".repeat(engineRounds)}`)) console.log(line)
    },
  })
  if (tty) process.stdout.write("\r\x1b[K")
  console.log()
  console.log(table(rows, args.workers))
  if (rows.some((r) => r.fellBack !== undefined)) console.log("* ran sequentially: " + rows.filter((r) => r.fellBack).map((r) => r.fellBack).join("; "))
  if (args.only === undefined || "ceiling".includes(args.only)) {
    for (const workload of Object.keys(CEILING_WORKLOADS) as CeilingWorkload[]) {
      const ceiling = await measureCeiling(workload, args.workers, args.txs, engineRounds, (line) => {
        if (tty) process.stdout.write(`\r${line}\x1b[K`)
      })
      ceilings.push(ceiling)
      if (tty) process.stdout.write("\r\x1b[K")
      const row = rows.find((r) => r.workload === workload)
      const share = row !== undefined ? `; the engine's ${row.speedup.toFixed(2)}x above is ${((100 * row.speedup) / ceiling.speedup).toFixed(0)}% of it` : ""
      console.log(
        `machine ceiling, ${workload}: the block run sequentially in ${ceiling.threads} threads at once, with no coordination, gives ` +
          `${ceiling.speedup.toFixed(2)}x the throughput of one thread (${ceiling.aloneMs.toFixed(0)} ms a block alone, ${ceiling.togetherMs.toFixed(0)} ms together)${share}`,
      )
    }
    console.log("no executor can beat the machine ceiling here: the threads share the cores' resources")
  }
}
let rpcRows: RpcRow[] = []
if (runRpc) {
  if (runEngine) console.log()
  console.log(`hardhat-pevm node vs Hardhat's EDR, through JSON-RPC: ${args.workers} workers, ${rpcRounds} rounds; ${machine}`)
  const started = performance.now()
  const errTty = process.stderr.isTTY === true
  rpcRows = await benchRpc({
    rounds: rpcRounds,
    workers: args.workers,
    progress: (line) => {
      const stamped = `  [${((performance.now() - started) / 1000).toFixed(0)}s] ${line}`
      if (errTty) process.stderr.write(`\r${stamped}\x1b[K`)
      else process.stderr.write(`${stamped}\n`)
    },
  })
  if (process.stderr.isTTY === true) process.stderr.write("\r\x1b[K")
  console.log()
  console.log(rpcTable(rpcRows, args.workers))
  console.log(`sends, each awaited in turn: raw = ${SEND_METHODS.raw};`)
  console.log(`  sendTransaction = ${SEND_METHODS.sendTransaction}.`)
  console.log("queue+mine: N sends with automine off, then evm_mine; evm_mine: that call alone; automine: N sends, a block each.")
  console.log("vs EDR: EDR's time / ours, median of per-round ratios (above 1: we are faster); rounds < asked: EDR took over 10 s, measured once.")
}
if (args.json !== undefined) {
  writeFileSync(
    args.json,
    JSON.stringify(
      {
        date: new Date().toISOString(),
        machine,
        workers: args.workers,
        txs: args.txs,
        rounds: engineRounds,
        rows,
        ...(ceilings.length > 0 ? { ceilings } : {}),
        ...(runRpc ? { rpc: { rounds: rpcRounds, sends: SEND_METHODS, rows: rpcRows } } : {}),
      },
      null,
      2,
    ),
  )
  console.log(`wrote ${args.json}`)
}
