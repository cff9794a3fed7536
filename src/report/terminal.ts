/**
 * The terminal report, the default output of `npx hardhat pevm-report`: a
 * title box, one line of totals, then per contract a box in the style of
 * Hardhat's `--gas-stats` tables with a header (transactions, gas, speedup
 * bound, measured replay, conflict rate), its hot slots (kind, write share,
 * read-after-write and write-after-write conflicts, writing functions), the slots not counted (reentrancy guards),
 * the read-after-write conflict matrix (earlier function per row, later per
 * column, rate and count per cell) and the write-after-write pairs apart;
 * under each box its suggestions, naming the slot and the functions. Then
 * unknown contracts, warnings and the check results if any. Colours only
 * when asked (see `shouldUseColor`).
 */
import type { AnalysisReport, ContractReport, FunctionConflict, HotSlot, ReplayResult } from "../analysis/types.js"
import { formatRegressions } from "./baseline.js"
import { formatViolations } from "./checks.js"
import { duration, integer, percent, plural, shortList, speedup, wrap } from "./format.js"
import { contractConflictRate, isStructuralHotSlot, shortFunctionLabel } from "./metrics.js"
import type { CheckResults } from "./results.js"
import { paint, type Paint } from "./style.js"
import { renderBox, type BoxItem, type CellInput } from "./table.js"

export interface TerminalOptions {
  /** ANSI colours (default false; see `shouldUseColor`). */
  readonly color?: boolean
  /** Check results to print after the report. */
  readonly checks?: CheckResults
  /** Rows per table before the rest is summed up in one line (default 10). */
  readonly maxRows?: number
  /** Functions in a conflict matrix before the rest is summed up (default 6). */
  readonly maxMatrixFunctions?: number
  /** Column at which suggestions and warnings wrap (default 100). */
  readonly width?: number
}

const SUGGESTION_TITLES: Readonly<Record<string, string>> = {
  "global-counter": "global counter",
  "storage-reentrancy-guard": "storage reentrancy guard",
  "array-length": "array length",
  "global-accumulator": "global accumulator",
  "total-supply": "total supply",
}

/** "speedup 2.20× measured (4 workers, 17 re-executions)" and its caveats. */
export function replaySummary(replay: ReplayResult | undefined): string {
  if (replay === undefined) return "measured replay: not run"
  if (replay.fellBack) return `measured replay: fell back to sequential${replay.fallbackReason !== undefined ? ` (${replay.fallbackReason})` : ""}`
  const parts = [`${plural(replay.workers, "worker")}`, plural(replay.reExecutions, "re-execution")]
  if (replay.capped) parts.push(`first ${integer(replay.transactions)} txs`)
  if (replay.divergent > 0) parts.push(`${integer(replay.divergent)} divergent`)
  return `measured replay ${speedup(replay.speedup)} (${parts.join(", ")}; ${duration(replay.sequentialMs)} → ${duration(replay.parallelMs)})`
}

/** " (one chain of blocks: 112 of 202 calls)" when snapshot reverts or sessions left the bound fewer than the contract's calls. */
function boundScope(contract: ContractReport): string {
  const calls = contract.transactions - contract.deployments
  return contract.speedupBound.transactions < calls ? ` (one chain of blocks: ${integer(contract.speedupBound.transactions)} of ${integer(calls)} calls)` : ""
}

function slotRow(contract: ContractReport, slot: HotSlot): CellInput[] {
  const structural = isStructuralHotSlot(slot)
  return [
    slot.name,
    { text: slot.kind, style: slot.kind === "structural" ? (structural ? ["red"] : ["yellow"]) : ["dim"] },
    `${percent(slot.writeShare)} (${integer(slot.writers)})`,
    integer(slot.conflicts),
    integer(slot.writeConflicts),
    shortList(
      slot.functions.map((f) => shortFunctionLabel(contract, f)),
      3,
    ),
  ]
}

/** Functions in the order the report lists them, keeping those in `wanted`. */
function orderedFunctions(contract: ContractReport, wanted: ReadonlySet<string>): string[] {
  const order = contract.functions.map((f) => f.signature).filter((s) => wanted.has(s))
  for (const s of wanted) if (!order.includes(s)) order.push(s)
  return order
}

function matrix(contract: ContractReport, pairs: readonly FunctionConflict[], maxFunctions: number): { grid: BoxItem; left: number } {
  const involved = orderedFunctions(contract, new Set(pairs.flatMap((p) => [p.from, p.to])))
  const shown = involved.slice(0, maxFunctions)
  const byPair = new Map(pairs.map((p) => [`${p.from}|${p.to}`, p]))
  const rows = shown.map((from) => [
    shortFunctionLabel(contract, from),
    ...shown.map((to): CellInput => {
      const pair = byPair.get(`${from}|${to}`)
      if (pair === undefined) return { text: "·", style: ["dim"] }
      return { text: `${percent(pair.rate)} (${integer(pair.count)})`, style: pair.rate >= 0.5 ? ["red"] : pair.rate >= 0.1 ? ["yellow"] : [] }
    }),
  ])
  return {
    grid: {
      type: "grid",
      header: ["Read-after-write: earlier ↓ later →", ...shown.map((s) => shortFunctionLabel(contract, s))],
      rows,
      align: ["left", ...shown.map(() => "right" as const)],
    },
    left: involved.length - shown.length,
  }
}

function contractBox(contract: ContractReport, options: Required<Pick<TerminalOptions, "maxRows" | "maxMatrixFunctions">>, color: boolean): string {
  const items: BoxItem[] = []
  const source = contract.sourceName !== undefined ? `  ${contract.sourceName}` : ""
  items.push({ type: "text", text: `${contract.name}${source}`, style: ["bold", "cyan"] })
  const b = contract.speedupBound
  items.push({
    type: "text",
    text: `${plural(contract.transactions, "tx")} · ${integer(contract.gasUsed)} gas · speedup bound ${speedup(b.bound)} · ${replaySummary(contract.replay)}`,
  })
  const rate = contractConflictRate(contract)
  const worst = rate.pair !== undefined ? ` (${shortFunctionLabel(contract, rate.pair.from)} → ${shortFunctionLabel(contract, rate.pair.to)})` : ""
  items.push({
    type: "text",
    text: `conflict rate ${percent(rate.rate)}${worst} · critical path ${plural(b.longestChain, "tx")}, ${integer(b.criticalPathGas)} of ${integer(b.totalGas)} gas${boundScope(contract)}`,
    style: ["dim"],
  })

  if (contract.hotSlots.length > 0) {
    const shown = contract.hotSlots.slice(0, options.maxRows)
    items.push({
      type: "grid",
      header: ["Hot slot", "Kind", "Writes", "RAW", "WAW", "Written by"],
      rows: shown.map((s) => slotRow(contract, s)),
      align: ["left", "left", "right", "right", "right", "left"],
    })
    if (contract.hotSlots.length > shown.length) items.push({ type: "text", text: `… ${plural(contract.hotSlots.length - shown.length, "more hot slot")} (see --json or --html)`, style: ["dim"] })
  } else {
    items.push({ type: "text", text: "No hot slots: no slot was written by two transactions or read after another wrote it.", style: ["green"] })
  }
  for (const ignored of contract.ignoredSlots) {
    const what = ignored.reason === "storage-reentrancy-guard" ? "a storage reentrancy guard" : "a no-op write"
    items.push({ type: "text", text: `Not counted: ${ignored.name}, ${what} (${shortList(ignored.functions.map((f) => shortFunctionLabel(contract, f)))})`, style: ["dim"] })
  }

  const raw = contract.conflicts.filter((p) => p.kind === "read-after-write")
  const waw = contract.conflicts.filter((p) => p.kind === "write-after-write")
  if (raw.length > 0) {
    const { grid, left } = matrix(contract, raw, options.maxMatrixFunctions)
    items.push(grid)
    if (left > 0) items.push({ type: "text", text: `… ${plural(left, "more function")} in conflicts (see --json or --html)`, style: ["dim"] })
  } else {
    items.push({ type: "text", text: "No read-after-write conflicts between its transactions.", style: ["green"] })
  }
  if (waw.length > 0) {
    const shown = waw.slice(0, options.maxRows)
    items.push({
      type: "grid",
      header: ["Write-after-write (no re-execution)", "Rate", "Slots"],
      rows: shown.map((p) => [`${shortFunctionLabel(contract, p.from)} → ${shortFunctionLabel(contract, p.to)}`, `${percent(p.rate)} (${integer(p.count)})`, shortList(p.slots, 1)]),
      align: ["left", "right", "left"],
    })
    if (waw.length > shown.length) items.push({ type: "text", text: `… ${plural(waw.length - shown.length, "more pair")}`, style: ["dim"] })
  }
  return renderBox(items, color)
}

function suggestions(contract: ContractReport, p: Paint, width: number): string[] {
  if (contract.suggestions.length === 0) return []
  const lines = [p.bold(`Suggestions for ${contract.name}:`)]
  for (const s of contract.suggestions) {
    const fns = shortList(s.functions.map((f) => shortFunctionLabel(contract, f)))
    const head = `${s.slot} (${SUGGESTION_TITLES[s.pattern] ?? s.pattern}${fns.length > 0 ? `; ${fns}` : ""})`
    wrap(head, width - 4, "    ").forEach((l, i) => lines.push(i === 0 ? `  • ${p.bold(l)}` : p.bold(l)))
    for (const line of wrap(s.message, width - 4, "    ").map((l, i) => (i === 0 ? `    ${l}` : l))) lines.push(line)
    for (const line of wrap(`Fix: ${s.fix}`, width - 4, "    ").map((l, i) => (i === 0 ? `    ${l}` : l))) lines.push(p.green(line))
  }
  return lines
}

/** The whole report as terminal text (no trailing newline). */
export function renderTerminal(report: AnalysisReport, options: TerminalOptions = {}): string {
  const color = options.color ?? false
  const p = paint(color)
  const width = options.width ?? 100
  const limits = { maxRows: options.maxRows ?? 10, maxMatrixFunctions: options.maxMatrixFunctions ?? 6 }
  const out: string[] = []
  const t = report.totals
  out.push(
    renderBox(
      [
        { type: "text", text: "Parallel EVM report", style: ["bold"] },
        {
          type: "text",
          text: `${plural(t.transactions, "transaction")} in ${plural(t.blocks, "block")} (${integer(t.parallelBlocks)} run in parallel, ${plural(t.recordedReExecutions, "re-execution")}) · ${integer(t.gasUsed)} gas · ${plural(report.contracts.length, "contract")}`,
        },
      ],
      color,
    ),
  )
  if (report.contracts.length === 0) out.push(p.yellow("No contract's code ran in the recorded transactions: nothing to analyse."))
  for (const contract of report.contracts) {
    out.push("")
    out.push(contractBox(contract, limits, color))
    const s = suggestions(contract, p, width)
    if (s.length > 0) out.push(s.join("\n"))
  }
  const notes: string[] = []
  if (t.unattributedTransactions > 0) notes.push(`${plural(t.unattributedTransactions, "transaction")} ran no known contract's code (plain transfers or unknown code).`)
  for (const u of report.unknownContracts) notes.push(`Unknown code at ${u.address}: ${plural(u.transactions, "transaction")} (no artifact matches its bytecode).`)
  for (const w of report.warnings) notes.push(p.yellow(`Warning: ${w}`))
  if (notes.length > 0) out.push("", ...notes.flatMap((n) => wrap(n, width, "  ")))
  const checks = options.checks
  if (checks?.thresholds !== undefined) {
    out.push("", formatViolations(checks.thresholds.violations, { color }))
    for (const u of checks.thresholds.unmatched ?? []) out.push(p.yellow(`Warning: ${u}`))
  }
  if (checks?.baseline !== undefined) {
    out.push("", formatRegressions(checks.baseline.regressions, { color }))
  }
  return out.join("\n")
}
