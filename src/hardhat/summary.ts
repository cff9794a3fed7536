/**
 * The one-screen summary printed at the end of a `--parallel-evm` test run,
 * in the style of `--gas-stats`: blocks and transactions, how many blocks ran
 * in parallel, re-executions, the five hottest storage slots, and where the
 * full report is.
 */
import { styleText } from "node:util"

import { formatTable, type TableItem } from "@nomicfoundation/hardhat-utils/format"

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
  if (hotSlots.length > 0) {
    rows.push({ type: "section-header", text: "Hottest storage slots" })
    rows.push({ type: "header", cells: ["Slot", "Written by (txs)", "Share of txs"].map((s) => styleText("yellow", s)) })
    for (const slot of hotSlots) rows.push({ type: "row", cells: [slot.name, String(slot.writers), `${(slot.share * 100).toFixed(1)}%`] })
  }
  const lines = [formatTable(rows), `Run record: ${runFile}`, `Run ${styleText("bold", "npx hardhat pevm-report")} for conflicts, speedup bounds and suggestions per contract.`]
  return lines.join("\n")
}
