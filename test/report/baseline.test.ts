/**
 * Baselines: what the file keeps, reading it back (and the typed error for a
 * malformed one), and the comparison: each figure against the tolerance,
 * new contracts and functions not regressions.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

import { expect } from "chai"

import type { AnalysisReport, ContractReport, FunctionConflict } from "../../src/analysis/types.js"
import {
  BaselineError,
  allowedConflictRate,
  baselineOf,
  compareToBaseline,
  formatRegressions,
  parseBaseline,
  writeBaseline,
  type Baseline,
} from "../../src/report/baseline.js"
import { nft, pool, report, token } from "./fixtures.js"
import { expectClose } from "../fixtures/approx.js"

function withContract(name: string, change: (c: ContractReport) => ContractReport): AnalysisReport {
  return { ...report, contracts: report.contracts.map((c) => (c.name === name ? change(c) : c)) }
}

function thrown(fn: () => unknown): BaselineError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(BaselineError)
    return error as BaselineError
  }
  expect.fail("expected a BaselineError")
}

describe("report baseline", () => {
  it("keeps per contract the speedup bound, conflict rate, structural hot slots and per function rates", () => {
    const baseline = baselineOf(report)
    expect(baseline.kind).to.equal("hardhat-pevm-baseline")
    expect(baseline.version).to.equal(1)
    expect(baseline.createdAt).to.equal(report.createdAt)
    expect(Object.keys(baseline.contracts)).to.deep.equal(["Nft", "Pool", "Token"])
    expect(baseline.contracts["Token"]).to.deep.equal({
      fullyQualifiedName: "contracts/Token.sol:Token",
      transactions: 100,
      speedupBound: 3.2,
      conflictRate: 1,
      structuralHotSlots: 1,
      structuralHotSlotNames: ["Token._totalSupply"],
      functions: {
        "(deploy)": { transactions: 1, conflictRate: 0 },
        "approve(address,uint256)": { transactions: 12, conflictRate: 0.545455 },
        "mint(address,uint256)": { transactions: 8, conflictRate: 1 },
        "transfer(address,uint256)": { transactions: 60, conflictRate: 0.37931 },
        "transferFrom(address,address,uint256)": { transactions: 20, conflictRate: 0.9 },
      },
    })
    expect(baseline.contracts["Pool"]?.speedupBound).to.equal(1.019893)
  })

  it("writes indented JSON that reads back to the same baseline, and compares clean against its own report", () => {
    const dir = mkdtempSync(join(tmpdir(), "pevm-baseline-"))
    try {
      const file = join(dir, "pevm-baseline.json")
      writeFileSync(file, writeBaseline(report))
      const text = readFileSync(file, "utf8")
      expect(text.endsWith("}\n")).to.equal(true)
      expect(text).to.contain('\n  "contracts": {\n    "Nft": {')
      const baseline = parseBaseline(text, file)
      expect(baseline).to.deep.equal(baselineOf(report))
      // Rounded to 6 decimals in the file, yet no regression even with no tolerance.
      expect(compareToBaseline(report, baseline, 0)).to.deep.equal([])
      expect(compareToBaseline(report, baseline)).to.deep.equal([])
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it("fails when the speedup bound fell by more than the tolerance", () => {
    const baseline = baselineOf(report)
    const slightly = withContract("Token", (c) => ({ ...c, speedupBound: { ...c.speedupBound, bound: 3.2 * 0.96 } }))
    expect(compareToBaseline(slightly, baseline)).to.deep.equal([])
    const worse = withContract("Token", (c) => ({ ...c, speedupBound: { ...c.speedupBound, bound: 2.5 } }))
    const regressions = compareToBaseline(worse, baseline)
    expect(regressions).to.have.length(1)
    expect(regressions[0]).to.deep.include({ contract: "Token", metric: "speedupBound", baseline: 3.2, current: 2.5 })
    expectClose(regressions[0]?.allowed, 3.04, 1e-9)
    expect(regressions[0]?.message).to.equal("Token: speedup bound fell from 3.20× to 2.50×, below the 3.04× that a tolerance of 5% allows.")
    // A looser tolerance lets it pass.
    expect(compareToBaseline(worse, baseline, 0.25)).to.deep.equal([])
  })

  it("compares conflict rates through the conflict-free share, so that a baseline of 0 still has room", () => {
    expectClose(allowedConflictRate(0, 0.05), 0.05, 1e-12)
    expectClose(allowedConflictRate(0.5, 0.05), 0.525, 1e-12)
    expect(allowedConflictRate(1, 0.05)).to.equal(1)

    const calm: ContractReport = { ...nft, conflicts: [] }
    const baseline = baselineOf({ ...report, contracts: [calm] })
    expect(baseline.contracts["Nft"]?.conflictRate).to.equal(0)
    const pair = (rate: number): FunctionConflict => ({ from: "mint(address)", to: "transferFrom(address,address,uint256)", kind: "read-after-write", count: 2, rate, sameBlockCount: 0, slots: ["Nft._owners[42]"] })
    expect(compareToBaseline({ ...report, contracts: [{ ...calm, conflicts: [pair(0.04)] }] }, baseline)).to.deep.equal([])
    const regressions = compareToBaseline({ ...report, contracts: [{ ...calm, conflicts: [pair(0.125)] }] }, baseline)
    expect(regressions.map((r) => [r.metric, r.function ?? null])).to.deep.equal([
      ["conflictRate", null],
      ["conflictRate", "transferFrom(address,address,uint256)"],
    ])
    expect(regressions[0]?.message).to.equal(
      "Nft: conflict rate rose from 0% to 13% (worst pair: mint(address) then transferFrom(address,address,uint256), on Nft._owners[42]), above the 5% that a tolerance of 5% allows.",
    )
    expect(regressions[1]?.message).to.equal(
      "Nft: conflict rate of transferFrom(address,address,uint256) rose from 0% to 13% (after mint(address), on Nft._owners[42]), above the 5% that a tolerance of 5% allows.",
    )
  })

  it("fails on new structural hot slots, naming them", () => {
    const baseline = baselineOf(report)
    const counter = { ...(token.hotSlots[2] as ContractReport["hotSlots"][number]), name: "Token.transferCount", slot: "0x5" as const, functions: ["transfer(address,uint256)"] }
    const worse = withContract("Token", (c) => ({ ...c, hotSlots: [...c.hotSlots, counter] }))
    const regressions = compareToBaseline(worse, baseline)
    expect(regressions).to.have.length(1)
    expect(regressions[0]).to.deep.include({ contract: "Token", metric: "structuralHotSlots", baseline: 1, current: 2, allowed: 1 })
    expect(regressions[0]?.message).to.equal("Token: 2 structural hot slots, up from 1 (new: Token.transferCount); a tolerance of 5% allows 1.")
  })

  it("does not count new contracts, new functions or contracts missing from the report", () => {
    const baseline = baselineOf({ ...report, contracts: [pool] })
    const newFunction = { ...nft.functions[0]!, name: "burn", signature: "burn(uint256)" }
    const grown: AnalysisReport = { ...report, contracts: [{ ...pool, functions: [...pool.functions, newFunction] }, nft, token] }
    expect(compareToBaseline(grown, baseline)).to.deep.equal([])
    expect(compareToBaseline({ ...report, contracts: [] }, baselineOf(report))).to.deep.equal([])
  })

  it("rejects a tolerance outside 0..1", () => {
    expect(() => compareToBaseline(report, baselineOf(report), -0.1)).to.throw(RangeError, "baseline tolerance must be between 0 and 1, got -0.1")
    expect(() => compareToBaseline(report, baselineOf(report), Number.NaN)).to.throw(RangeError)
  })

  it("throws a BaselineError naming the file and each problem", () => {
    const notJson = thrown(() => parseBaseline("{ not json", "pevm-baseline.json"))
    expect(notJson.name).to.equal("BaselineError")
    expect(notJson.source).to.equal("pevm-baseline.json")
    expect(notJson.message).to.match(/^Invalid pevm baseline pevm-baseline\.json: not valid JSON \(/)

    expect(thrown(() => parseBaseline("[1, 2]")).message).to.equal("Invalid pevm baseline baseline: expected a JSON object, got an array")
    expect(thrown(() => parseBaseline(JSON.stringify({ schemaVersion: 1, contracts: [] }), "report.json")).message).to.equal(
      'Invalid pevm baseline report.json: not a hardhat-pevm baseline: "kind" is nothing, expected "hardhat-pevm-baseline" (write one with pevm-report --update-baseline)',
    )
    expect(thrown(() => parseBaseline(JSON.stringify({ ...baselineOf(report), version: 2 }))).message).to.equal(
      "Invalid pevm baseline baseline: baseline version 2 was written by a newer hardhat-pevm; this one reads version 1",
    )

    const good = JSON.parse(writeBaseline(report)) as { contracts: Record<string, Record<string, unknown>> }
    good.contracts["Token"]!["speedupBound"] = "fast"
    good.contracts["Pool"]!["conflictRate"] = 1.5
    ;(good.contracts["Nft"]!["functions"] as Record<string, unknown>)["mint(address)"] = { transactions: -1, conflictRate: 0 }
    delete good.contracts["Nft"]!["structuralHotSlotNames"]
    const bad = thrown(() => parseBaseline(JSON.stringify(good), "pevm-baseline.json"))
    expect(bad.problems).to.deep.equal([
      'contracts["Nft"].structuralHotSlotNames: expected an array of strings, got nothing',
      'contracts["Nft"].functions["mint(address)"].transactions: expected a whole number of at least 0, got -1',
      'contracts["Pool"].conflictRate: expected a number between 0 and 1, got 1.5',
      'contracts["Token"].speedupBound: expected a number of at least 1, got "fast"',
    ])
    expect(bad.message.split("\n")[0]).to.equal("Invalid pevm baseline pevm-baseline.json:")
    expect(bad.message).to.contain('\n  * contracts["Pool"].conflictRate: expected a number between 0 and 1, got 1.5')
  })

  it("formats regressions for the terminal", () => {
    const baseline: Baseline = baselineOf(report)
    const worse = withContract("Pool", (c) => ({ ...c, speedupBound: { ...c.speedupBound, bound: 0.9 + 0.05 } }))
    const regressions = compareToBaseline(worse, baseline)
    expect(formatRegressions(regressions)).to.equal(`✖ 1 regression against the pevm baseline:\n  1. ${regressions[0]!.message}`)
    expect(formatRegressions([])).to.equal("✔ No contract got worse than the pevm baseline.")
  })
})
