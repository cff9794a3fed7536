/**
 * The one-screen summary printed at the end of a `--parallel-evm` test run,
 * in the style of `--gas-stats`: blocks and transactions, how many blocks ran
 * in parallel, re-executions, the five hottest storage slots, and where the
 * full report is.
 */
import { styleText } from "node:util"

import { formatTable, type TableItem } from "@nomicfoundation/hardhat-utils/format"

import { analyzeRun, loadArtifacts, shortAddress } from "../analysis/index.js"
import type { RunRecord } from "../network/index.js"

export interface HotSlotLine {
  /** How Solidity names it when known (`Token._balances[0x7099…79C8]`), else `address slot`. */
  readonly name: string
  readonly writers: number
  readonly share: number
}

export interface RunTotals {
  readonly connections: number
  readonly blocks: number
  readonly transactions: number
  readonly multiTransactionBlocks: number
  readonly parallelBlocks: number
  readonly fellBack: number
  readonly reExecutions: number
}

export function runTotals(record: RunRecord): RunTotals {
  let blocks = 0
  let transactions = 0
  let multi = 0
  let parallel = 0
  let fellBack = 0
  let reExecutions = 0
  for (const session of record.sessions) {
    for (const block of session.blocks) {
      blocks++
      transactions += block.transactions
      if (block.transactions > 1) multi++
      if (block.mode === "parallel") parallel++
      if (block.fellBack) fellBack++
      reExecutions += block.reExecutions
    }
  }
  return { connections: record.sessions.length, blocks, transactions, multiTransactionBlocks: multi, parallelBlocks: parallel, fellBack, reExecutions }
}

const shortHex = (hex: string) => `${hex.slice(0, 6)}…${hex.slice(-4)}`

/**
 * The hottest slots named as Solidity names them (`Token._balances[0x7099…79C8]`),
 * through the analysis without its replay or guard probe. Falls back to
 * `hottestSlots` when the artifacts cannot be read or name nothing.
 */
export async function namedHottestSlots(record: RunRecord, artifactsDir: string, count: number): Promise<HotSlotLine[]> {
  try {
    const { contracts } = loadArtifacts(artifactsDir)
    const report = await analyzeRun(record, contracts, { replay: false, detectGuards: false, maxHotSlots: count })
    const total = record.sessions.reduce((sum, session) => sum + session.transactions.length, 0)
    const named = report.contracts
      .flatMap((contract) => contract.hotSlots)
      .filter((slot) => slot.writers > 1)
      .sort((a, b) => b.writers - a.writers || a.name.localeCompare(b.name))
      .slice(0, count)
    // Two instances of one contract (two tokens of a pool) name their slots alike: say which instance.
    const clash = (name: string) => named.filter((slot) => slot.name === name).length > 1
    if (named.length > 0) return named.map((slot) => ({
      name: clash(slot.name) ? `${slot.name} at ${shortAddress(slot.address)}` : slot.name,
      writers: slot.writers,
      share: total === 0 ? 0 : slot.writers / total,
    }))
  } catch {
    // A project without artifacts (or with unreadable ones) still gets its summary.
  }
  return hottestSlots(record, count)
}

/** Slots written by the most transactions (commutative credits excluded), unnamed. */
export function hottestSlots(record: RunRecord, count: number): HotSlotLine[] {
  const writers = new Map<string, number>()
  let total = 0
  for (const session of record.sessions) {
    for (const tx of session.transactions) {
      total++
      for (const write of tx.writes) {
        if (!("slot" in write) || write.delta !== undefined) continue
        const key = `${shortHex(write.address)} slot ${BigInt(write.slot) < 1n << 32n ? BigInt(write.slot).toString() : shortHex(write.slot)}`
        writers.set(key, (writers.get(key) ?? 0) + 1)
      }
    }
  }
  return [...writers.entries()]
    .filter(([, n]) => n > 1)
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, n]) => ({ name, writers: n, share: total === 0 ? 0 : n / total }))
}

export function formatSummary(totals: RunTotals, hotSlots: readonly HotSlotLine[], runFile: string): string {
  const rows: TableItem[] = [
    { type: "title", text: "Parallel EVM (hardhat-pevm)" },
    { type: "section-header", text: "Execution" },
    { type: "header", cells: ["Blocks", "Transactions", "Blocks of >1 tx", "Ran in parallel", "Re-executions", "Fell back"].map((s) => styleText("yellow", s)) },
    {
      type: "row",
      cells: [totals.blocks, totals.transactions, totals.multiTransactionBlocks, totals.parallelBlocks, totals.reExecutions, totals.fellBack].map(String),
    },
  ]
  const tables = [formatTable(rows)]
  if (hotSlots.length > 0) {
    // A table of its own, so that its three columns do not take the widths of the six above.
    const slotRows: TableItem[] = [
      { type: "section-header", text: "Hottest storage slots" },
      { type: "header", cells: ["Slot", "Written by (txs)", "Share of txs"].map((s) => styleText("yellow", s)) },
      ...hotSlots.map((slot): TableItem => ({ type: "row", cells: [slot.name, String(slot.writers), `${(slot.share * 100).toFixed(1)}%`] })),
    ]
    tables.push(formatTable(slotRows))
  }
  const lines = [...tables, `Run record: ${runFile}`, `Run ${styleText("bold", "npx hardhat pevm-report")} for conflicts, speedup bounds and suggestions per contract.`]
  return lines.join("\n")
}
