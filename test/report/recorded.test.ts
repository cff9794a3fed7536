/**
 * Every renderer and check on a report that the analysis made from a real
 * run (`recorded-report.json`, made by `recordFixture.ts`): an Nft with a
 * global counter, a FeeToken that writes its supply and a counter on every
 * transfer, one Pool, and a Vault behind OpenZeppelin's storage guard.
 */
import { readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

import { expect } from "chai"

import type { AnalysisReport } from "../../src/analysis/types.js"
import {
  baselineOf,
  checkThresholds,
  compareToBaseline,
  parseBaseline,
  renderHtml,
  renderJson,
  renderMarkdown,
  renderTerminal,
  unmatchedThresholds,
  writeBaseline,
  type ReportJson,
} from "../../src/report/index.js"

const recorded = JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), "recorded-report.json"), "utf8")) as AnalysisReport

describe("report: a report recorded from a real run", () => {
  it("has the contracts the fixture ran", () => {
    expect(recorded.version).to.equal(1)
    expect(recorded.contracts.map((c) => c.name).sort()).to.deep.equal(["FeeToken", "Nft", "Pool", "Vault"])
  })

  it("renders in the terminal with every contract, its hot slots and suggestions", () => {
    const text = renderTerminal(recorded)
    for (const c of recorded.contracts) {
      expect(text).to.contain(`║ ${c.name}  ${c.sourceName}`)
      for (const s of c.hotSlots.slice(0, 10)) expect(text).to.contain(`║ ${s.name} `)
      for (const s of c.suggestions) expect(text).to.contain(`  • ${s.slot} (`)
    }
    expect(text).to.contain("Not counted: Vault.ReentrancyGuard._status, a storage reentrancy guard (deposit, withdraw)")
    expect(text).to.match(/║ mint {2,}│ 100% \(11\) │ +100% \(1\) ║/)
    for (const line of text.split("\n")) expect(line).to.not.match(/undefined|NaN/)
  })

  it("fails forbidStructuralHotSlots on the counters, supply and reserves, not on the guarded Vault", () => {
    const violations = checkThresholds(recorded, { "*": { forbidStructuralHotSlots: true } })
    expect(violations.map((v) => (v.rule === "forbidStructuralHotSlots" ? `${v.contract}: ${v.slot}` : "")).sort()).to.deep.equal([
      "FeeToken: FeeToken._totalSupply",
      "FeeToken: FeeToken.transferCount",
      "Nft: Nft.nextId",
      "Pool: Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast",
    ])
    expect(checkThresholds(recorded, { Vault: { minSpeedup: 7, forbidStructuralHotSlots: true, functions: { deposit: { maxConflictRate: 0 } } } })).to.deep.equal([])
    expect(unmatchedThresholds(recorded, { Vault: { functions: { deposit: {}, "withdraw(uint256)": {} } } })).to.deep.equal([])
  })

  it("round-trips a baseline and finds no regression against itself", () => {
    const baseline = parseBaseline(writeBaseline(recorded), "recorded")
    expect(baseline).to.deep.equal(baselineOf(recorded))
    expect(compareToBaseline(recorded, baseline, 0)).to.deep.equal([])
    expect(baseline.contracts["Vault"]).to.deep.include({ structuralHotSlots: 0, conflictRate: 1 })
  })

  it("renders JSON, Markdown and HTML naming every contract", () => {
    const json = JSON.parse(renderJson(recorded)) as ReportJson
    expect(json.contracts.map((c) => c.name)).to.deep.equal(recorded.contracts.map((c) => c.name))
    expect(json.contracts.find((c) => c.name === "FeeToken")?.structuralHotSlots).to.equal(2)
    const md = renderMarkdown(recorded)
    const html = renderHtml(recorded)
    for (const c of recorded.contracts) {
      expect(md).to.contain(`### ${c.name}\n`)
      expect(html).to.contain(`<h2 class="contract-name">${c.name}</h2>`)
    }
    expect(md).to.contain("`Vault (ETH balance of 0xCf7E…0Fc9)`")
  })
})
