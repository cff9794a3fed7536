/**
 * The JSON report: its documented shape (schemaVersion 1, nulls for absent
 * values, derived figures), check results in it, and that the Markdown
 * description names every field the JSON has.
 */
import { expect } from "chai"

import type { AnalysisReport } from "../../src/analysis/types.js"
import { baselineOf, compareToBaseline } from "../../src/report/baseline.js"
import { checkThresholds } from "../../src/report/checks.js"
import { REPORT_JSON_SCHEMA_MARKDOWN, REPORT_JSON_SCHEMA_VERSION, renderJson, toReportJson, type ReportJson } from "../../src/report/json.js"
import { empty, nft, pool, report, token } from "./fixtures.js"
import { expectClose } from "../fixtures/approx.js"

/** Every key path in a JSON value, arrays collapsed ("contracts[].hotSlots[].name"). */
function keyPaths(value: unknown, prefix = ""): Set<string> {
  const paths = new Set<string>()
  if (Array.isArray(value)) {
    for (const item of value) for (const p of keyPaths(item, `${prefix}[]`)) paths.add(p)
  } else if (typeof value === "object" && value !== null) {
    for (const [key, child] of Object.entries(value)) {
      const path = prefix === "" ? key : `${prefix}.${key}`
      paths.add(path)
      for (const p of keyPaths(child, path)) paths.add(p)
    }
  }
  return paths
}

describe("report: JSON", () => {
  const json = JSON.parse(renderJson(report)) as ReportJson

  it("is versioned and keeps the report's totals and order", () => {
    expect(REPORT_JSON_SCHEMA_VERSION).to.equal(1)
    expect(json.schemaVersion).to.equal(1)
    expect(json.tool).to.equal("hardhat-pevm")
    expect(json.createdAt).to.equal("2025-01-15T10:30:00.000Z")
    expect(json.recordCreatedAt).to.equal("2025-01-15T10:29:12.000Z")
    expect(json.totals).to.deep.equal(report.totals)
    expect(json.contracts.map((c) => c.name)).to.deep.equal(["Token", "Pool", "Nft"])
    expect(json.unknownContracts).to.deep.equal([{ address: "0xcf7ed3acca5a467e9e704c703e8d87f634fb0fc9", codeHash: null, transactions: 2 }])
    expect(json.warnings).to.deep.equal(report.warnings)
    expect(json.checks).to.equal(null)
  })

  it("adds the figures the checks use, and writes absent values as null", () => {
    const t = json.contracts[0]!
    expect(t).to.include({ name: "Token", fullyQualifiedName: "contracts/Token.sol:Token", sourceName: "contracts/Token.sol", conflictRate: 1, structuralHotSlots: 1 })
    expect(t.worstConflict).to.deep.equal({ from: "mint(address,uint256)", to: "mint(address,uint256)" })
    expect(t.speedupBound).to.deep.equal(token.speedupBound)
    expect(t.replay).to.deep.equal({ ...token.replay, fallbackReason: null })
    const transfer = t.functions[0]!
    expect(transfer).to.include({ name: "transfer", signature: "transfer(address,uint256)", selector: "0xa9059cbb", transactions: 60 })
    expectClose(transfer.conflictRate, 22 / 58, 1e-12)
    expectClose(transfer.speedupEstimate, 60 / (1 + (22 / 58) * 59), 1e-9)
    expect(t.functions.find((f) => f.signature === "(deploy)")?.selector).to.equal(null)
    expect(t.hotSlots[0]).to.deep.equal({ ...token.hotSlots[0], packed: null, note: null, noOpWrites: 0, structural: false })
    expect(t.hotSlots[2]?.structural).to.equal(true)
    expect(t.conflicts).to.deep.equal(token.conflicts)

    const p = json.contracts[1]!
    expect(p.hotSlots[0]?.packed).to.deep.equal(["reserve0", "reserve1", "blockTimestampLast"])
    expect(p.ignoredSlots).to.deep.equal(pool.ignoredSlots)
    expect(p.suggestions).to.deep.equal(pool.suggestions)
    expect(json.contracts[2]?.replay).to.equal(null)
    expect(json.contracts[2]?.suggestions).to.deep.equal(nft.suggestions)
  })

  it("includes check results when checks ran", () => {
    const violations = checkThresholds(report, { Nft: { minSpeedup: 2, forbidStructuralHotSlots: true } })
    const worse: AnalysisReport = { ...report, contracts: [{ ...token, speedupBound: { ...token.speedupBound, bound: 2 } }, pool, nft] }
    const regressions = compareToBaseline(worse, baselineOf(report))
    const out = toReportJson(worse, { thresholds: { violations, unmatched: ["x"] }, baseline: { file: "pevm-baseline.json", tolerance: 0.05, regressions } })
    expect(out.checks?.passed).to.equal(false)
    expect(out.checks?.thresholds?.unmatched).to.deep.equal(["x"])
    expect(out.checks?.thresholds?.violations).to.deep.equal([
      { rule: "minSpeedup", contract: "Nft", function: null, setting: "pevm.thresholds.Nft.minSpeedup", measured: nft.speedupBound.bound, limit: 2, slot: null, message: violations[0]!.message },
      {
        rule: "forbidStructuralHotSlots",
        contract: "Nft",
        function: "mint(address)",
        setting: "pevm.thresholds.Nft.forbidStructuralHotSlots",
        measured: 0.8,
        limit: true,
        slot: "Nft._nextTokenId",
        message: violations[1]!.message,
      },
    ])
    expect(out.checks?.baseline).to.deep.equal({
      file: "pevm-baseline.json",
      tolerance: 0.05,
      regressions: [{ contract: "Token", function: null, metric: "speedupBound", baseline: 3.2, current: 2, allowed: regressions[0]!.allowed, message: regressions[0]!.message }],
    })
    expect(toReportJson(report, { thresholds: { violations: [] } }).checks).to.deep.equal({ passed: true, thresholds: { violations: [], unmatched: [] }, baseline: null })
    expect(toReportJson(report, {}).checks).to.equal(null)
  })

  it("renders an empty report", () => {
    const out = JSON.parse(renderJson(empty)) as ReportJson
    expect(out.contracts).to.deep.equal([])
    expect(out.totals.transactions).to.equal(0)
  })

  it("is described field by field in the schema text", () => {
    const violations = checkThresholds(report, { Nft: { minSpeedup: 2, forbidStructuralHotSlots: true } })
    const full = JSON.parse(
      renderJson(report, { thresholds: { violations, unmatched: [] }, baseline: { file: "b.json", tolerance: 0.05, regressions: compareToBaseline(report, { ...baselineOf(report), contracts: { Nft: { ...baselineOf(report).contracts["Nft"]!, speedupBound: 9 } } }) } }),
    ) as unknown
    const documented = REPORT_JSON_SCHEMA_MARKDOWN
    for (const path of keyPaths(full)) {
      const leaf = path.split(".").at(-1)!.replace(/\[\]$/, "")
      expect(documented, path).to.contain(`\`${leaf}`)
    }
    expect(documented).to.contain("`schemaVersion`: `1`")
  })
})
