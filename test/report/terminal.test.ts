/**
 * The terminal report: the boxes and what they hold per contract (header with
 * transactions, gas, speedup bound and replay; hot slots; the conflict matrix
 * with write-after-write apart; suggestions), limits on rows, colours only on
 * request, and check results at the end.
 */
import { expect } from "chai"

import type { AnalysisReport, ContractReport, HotSlot } from "../../src/analysis/types.js"
import { compareToBaseline, baselineOf } from "../../src/report/baseline.js"
import { checkThresholds } from "../../src/report/checks.js"
import { shouldUseColor, stripAnsi } from "../../src/report/style.js"
import { renderBox } from "../../src/report/table.js"
import { renderTerminal } from "../../src/report/terminal.js"
import { empty, nft, pool, report, token } from "./fixtures.js"

/** The lines of the box that starts with a line containing `title`. */
function box(text: string, title: string): string[] {
  const lines = text.split("\n")
  const start = lines.findIndex((l, i) => l.includes(title) && lines[i - 1]?.startsWith("╔"))
  expect(start, `a box titled ${title}`).to.be.greaterThan(0)
  const end = lines.findIndex((l, i) => i > start && l.startsWith("╚"))
  return lines.slice(start - 1, end + 1)
}

/** The cells of a table row that starts with `first`. */
function row(lines: readonly string[], first: string): string[] {
  const line = lines.find((l) => l.startsWith(`║ ${first} `) || l.startsWith(`║ ${first}│`))
  expect(line, `a row for ${first}`).to.not.equal(undefined)
  return line!
    .slice(1, -1)
    .split("│")
    .map((c) => c.trim())
}

describe("report: terminal", () => {
  const text = renderTerminal(report)

  it("draws closed boxes of equal line widths", () => {
    for (const name of ["Parallel EVM report", "Token  contracts/Token.sol", "Pool  contracts/Pool.sol", "Nft  contracts/Nft.sol"]) {
      const lines = box(text, name)
      const widths = new Set(lines.map((l) => [...l].length))
      expect(widths.size, `${name}: ${[...widths].join(", ")}`).to.equal(1)
      expect(lines.at(-1)).to.match(/^╚[═╧]+╝$/)
      for (const l of lines.slice(1, -1)) expect(l).to.match(/^[║╟].*[║╢]$/)
    }
  })

  it("heads each contract with transactions, gas, speedup bound and the measured replay", () => {
    const lines = box(text, "Token  contracts/Token.sol")
    expect(lines[2]).to.contain("101 txs · 4,312,877 gas · speedup bound 3.20× · measured replay 2.20× (4 workers, 17 re-executions; 412.5 ms → 187.2 ms)")
    expect(lines[3]).to.contain("conflict rate 100% (mint → mint) · critical path 31 txs, 1,210,000 of 3,872,000 gas")
    expect(box(text, "Nft  contracts/Nft.sol")[2]).to.contain("81 txs · 3,100,000 gas · speedup bound 1.23× · measured replay: not run")
    const fellBack: ContractReport = { ...pool, replay: { ...pool.replay!, fellBack: true, fallbackReason: "too many re-executions" } }
    expect(renderTerminal({ ...report, contracts: [fellBack] })).to.contain("measured replay: fell back to sequential (too many re-executions)")
  })

  it("says when the bound took fewer transactions than the contract's calls: one chain of blocks, after snapshot reverts", () => {
    expect(text).not.to.contain("one chain of blocks")
    const branched: ContractReport = { ...nft, speedupBound: { ...nft.speedupBound, transactions: 50 } }
    expect(box(renderTerminal({ ...report, contracts: [branched] }), "Nft  contracts/Nft.sol")[3]).to.contain(
      "critical path 65 txs, 2,240,000 of 2,760,000 gas (one chain of blocks: 50 of 80 calls)",
    )
  })

  it("lists hot slots with kind, write share, read-after-write and write-after-write conflicts and the functions writing them", () => {
    const lines = box(text, "Token  contracts/Token.sol")
    expect(row(lines, "Hot slot")).to.deep.equal(["Hot slot", "Kind", "Writes", "RAW", "WAW", "Written by"])
    expect(row(lines, "Token._balances[0x7099…79C8]")).to.deep.equal(["Token._balances[0x7099…79C8]", "data-dependent", "45% (45)", "38", "44", "transfer, transferFrom, mint"])
    expect(row(lines, "Token._totalSupply")).to.deep.equal(["Token._totalSupply", "structural", "8% (8)", "7", "7", "mint"])
    expect(row(lines, "Token._allowances[0x7099…79C8][0x3C44…93BC]")).to.deep.equal([
      "Token._allowances[0x7099…79C8][0x3C44…93BC]",
      "data-dependent",
      "32% (32)",
      "24",
      "31",
      "transferFrom, approve",
    ])
    expect(box(text, "Pool  contracts/Pool.sol").join("\n")).to.contain("Not counted: Pool._status, a storage reentrancy guard (addLiquidity, swap0for1, swap1for0)")
  })

  it("shows the read-after-write matrix, earlier function per row, and write-after-write apart", () => {
    const lines = box(text, "Token  contracts/Token.sol")
    expect(row(lines, "Read-after-write: earlier ↓ later →")).to.deep.equal(["Read-after-write: earlier ↓ later →", "transfer", "transferFrom", "approve", "mint"])
    expect(row(lines, "transfer")).to.deep.equal(["transfer", "38% (22)", "45% (9)", "·", "·"])
    expect(row(lines, "approve")).to.deep.equal(["approve", "·", "90% (18)", "55% (6)", "·"])
    expect(row(lines, "mint")).to.deep.equal(["mint", "6.7% (4)", "·", "·", "100% (7)"])
    expect(row(lines, "Write-after-write (no re-execution)")).to.deep.equal(["Write-after-write (no re-execution)", "Rate", "Slots"])
    expect(row(lines, "approve → approve")).to.deep.equal(["approve → approve", "55% (6)", "Token._allowances[0x7099…79C8][0x3C44…93BC]"])
    expect(row(lines, "transfer → transfer")).to.deep.equal(["transfer → transfer", "34% (20)", "Token._balances[0x7099…79C8] and 1 more"])
    // One slot named per pair: long slot names in this column set the width of the whole box.
    // A contract with read-after-write pairs only shows no write-after-write table.
    const rawOnly: ContractReport = { ...pool, conflicts: pool.conflicts.filter((p) => p.kind === "read-after-write") }
    expect(renderTerminal({ ...report, contracts: [rawOnly] })).to.not.contain("Write-after-write")
  })

  it("names the slot and the functions in each suggestion, under the contract's box", () => {
    const after = text.slice(text.indexOf("Nft  contracts/Nft.sol"))
    const suggestions = after.slice(after.indexOf("Suggestions for Nft:"))
    expect(suggestions).to.contain("  • Nft._nextTokenId (global counter; mint)\n    Nft._nextTokenId is a global counter: mint(address) increment it in 64 transactions")
    expect(suggestions).to.contain("    Fix: Shard the counter")
    expect(text).to.contain("  • Pool._status (storage reentrancy guard; addLiquidity, swap0for1, swap1for0)")
    expect(text).to.not.contain("Suggestions for Token")
    for (const line of text.split("\n").filter((l) => !/^[╔║╟╚]/.test(l))) expect([...line].length).to.be.at.most(100)
  })

  it("cuts long tables and wide matrices", () => {
    const slots: HotSlot[] = Array.from({ length: 14 }, (_, i) => ({ ...(token.hotSlots[0] as HotSlot), name: `Token._balances[${i}]` }))
    const functions = Array.from({ length: 8 }, (_, i) => `f${i}(uint256)`)
    const wide: ContractReport = {
      ...token,
      hotSlots: slots,
      functions: functions.map((signature, i) => ({ name: `f${i}`, signature, transactions: 10, reverted: 0, gas: 10, meanGas: 1 })),
      conflicts: functions.map((f, i) => ({ from: f, to: functions[(i + 1) % 8] as string, kind: "read-after-write" as const, count: 1, rate: 0.1, sameBlockCount: 0, slots: [] })),
    }
    const out = renderTerminal({ ...report, contracts: [wide] }, { maxRows: 5, maxMatrixFunctions: 4 })
    expect(out).to.contain("Token._balances[4]")
    expect(out).to.not.contain("Token._balances[5]")
    expect(out).to.contain("… 9 more hot slots (see --json or --html)")
    expect(row(box(out, "Token  contracts/Token.sol"), "Read-after-write: earlier ↓ later →")).to.deep.equal(["Read-after-write: earlier ↓ later →", "f0", "f1", "f2", "f3"])
    expect(out).to.contain("… 4 more functions in conflicts")
  })

  it("says so when there is nothing to show", () => {
    const quiet: ContractReport = { ...nft, hotSlots: [], conflicts: [], suggestions: [] }
    const out = renderTerminal({ ...report, contracts: [quiet] })
    expect(out).to.contain("No hot slots: no slot was written by two transactions")
    expect(out).to.contain("No read-after-write conflicts between its transactions.")
    expect(renderTerminal(empty)).to.contain("No contract's code ran in the recorded transactions: nothing to analyse.")
  })

  it("prints unknown contracts and warnings after the contracts", () => {
    expect(text).to.contain("Unknown code at 0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9: 2 transactions")
    expect(text).to.contain("Warning: Pool: replayed the 50 transactions of one session out of 2")
  })

  it("appends the check results when given", () => {
    const violations = checkThresholds(report, { Nft: { minSpeedup: 2 } })
    const baseline = baselineOf(report)
    const worse: AnalysisReport = { ...report, contracts: [{ ...token, speedupBound: { ...token.speedupBound, bound: 2 } }, pool, nft] }
    const regressions = compareToBaseline(worse, baseline)
    const out = renderTerminal(worse, { checks: { thresholds: { violations, unmatched: ["pevm.thresholds.Tokn matches no contract"] }, baseline: { tolerance: 0.05, regressions } } })
    expect(out).to.contain(`✖ 1 pevm threshold is not met:\n  1. ${violations[0]!.message}`)
    expect(out).to.contain("Warning: pevm.thresholds.Tokn matches no contract")
    expect(out).to.contain(`✖ 1 regression against the pevm baseline:\n  1. Token: speedup bound fell from 3.20× to 2.00×`)
    expect(renderTerminal(report, { checks: { thresholds: { violations: [] } } })).to.contain("✔ All pevm thresholds are met.")
  })

  it("colours only when asked, with the same text underneath", () => {
    expect(text).to.not.contain("\u001b[")
    const colored = renderTerminal(report, { color: true })
    expect(colored).to.contain("\u001b[1m")
    expect(colored).to.contain("\u001b[31mstructural\u001b[39m")
    expect(stripAnsi(colored)).to.equal(text)
  })

  it("decides on colours from the stream and NO_COLOR", () => {
    expect(shouldUseColor({ isTTY: true }, {})).to.equal(true)
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: "1" })).to.equal(false)
    expect(shouldUseColor({ isTTY: true }, { NO_COLOR: "" })).to.equal(true)
    expect(shouldUseColor({ isTTY: false }, {})).to.equal(false)
    expect(shouldUseColor({}, {})).to.equal(false)
  })

  it("joins grids of different columns with one rule, widening a narrower grid's first column", () => {
    const out = renderBox(
      [
        { type: "grid", header: ["a", "b"], rows: [["1", "2"]] },
        { type: "grid", header: ["ccc", "d", "e"], rows: [["3", "4", "5"]], align: ["left", "right", "left"] },
        { type: "text", text: "note" },
      ],
      false,
    )
    expect(out.split("\n")).to.deep.equal([
      "╔═════════╤═══╗",
      "║ a       │ b ║",
      "╟─────────┼───╢",
      "║ 1       │ 2 ║",
      "╟─────┬───┼───╢",
      "║ ccc │ d │ e ║",
      "╟─────┼───┼───╢",
      "║ 3   │ 4 │ 5 ║",
      "╟─────┴───┴───╢",
      "║ note        ║",
      "╚═════════════╝",
    ])
  })
})
