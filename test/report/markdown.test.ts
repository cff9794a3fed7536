/**
 * The Markdown report: the summary table, per-contract sections, escaping of
 * everything that comes from the report, check results, the size limit, and
 * appending to GitHub's job summary.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

import { expect } from "chai"

import type { ContractReport, HotSlot } from "../../src/analysis/types.js"
import { checkThresholds } from "../../src/report/checks.js"
import { appendStepSummary, codeSpan, escapeMarkdown, prose, renderMarkdown } from "../../src/report/markdown.js"
import { empty, hostile, report, token } from "./fixtures.js"

describe("report: Markdown", () => {
  const md = renderMarkdown(report)

  it("starts with the totals and a table of contracts", () => {
    const lines = md.split("\n")
    expect(lines[0]).to.equal("## Parallel EVM report")
    expect(lines[2]).to.equal("240 transactions in 236 blocks (4 run in parallel, 57 re-executions) · 11,500,000 gas · 3 contracts")
    const header = lines.indexOf("| Contract | Transactions | Gas | Speedup bound | Measured replay | Conflict rate | Structural hot slots |")
    expect(header).to.be.greaterThan(0)
    expect(lines[header + 1]).to.equal("|---|---:|---:|---:|---:|---:|---:|")
    expect(lines.slice(header + 2, header + 5)).to.deep.equal([
      "| Token | 101 | 4,312,877 | 3.20× | 2.20× (17 re-executions) | 100% | 1 |",
      "| Pool | 51 | 3,950,000 | 1.02× | 0.80× (46 re-executions) | 100% | 1 |",
      "| Nft | 81 | 3,100,000 | 1.23× | not run | 100% | 1 |",
    ])
  })

  it("gives each contract its hot slots, its pairs in a collapsed section, and its suggestions", () => {
    const nft = md.slice(md.indexOf("### Nft"))
    expect(nft).to.contain("`contracts/Nft.sol` · 81 transactions · 3,100,000 gas · speedup bound **1.23×** (critical path 65 transactions) · measured replay not run · conflict rate **100%** (`mint` → `mint`)")
    expect(nft).to.contain("| `Nft._nextTokenId` | **structural** | 80% (64) | 63 | 63 | `mint` |")
    const branched = renderMarkdown({ ...report, contracts: report.contracts.map((c) => (c.name === "Nft" ? { ...c, speedupBound: { ...c.speedupBound, transactions: 50 } } : c)) })
    expect(branched).to.contain("speedup bound **1.23×** (critical path 65 transactions; one chain of blocks: 50 of 80 calls)")
    expect(nft).to.contain("| `Nft._owners[42]` | data-dependent | 3.8% (3) | 2 | 2 | `mint`, `transferFrom` |")
    expect(nft).to.contain("<details><summary>Conflicting function pairs (4)</summary>")
    expect(nft).to.contain("| `mint` | `mint` | RAW | 100% | 63 | 40 | `Nft._nextTokenId` |")
    expect(nft).to.contain("- `Nft._nextTokenId` in `mint`: Nft.\\_nextTokenId is a global counter: mint(address) increment it in 64 transactions")
    const tokenSection = md.slice(md.indexOf("### Token"), md.indexOf("### Pool"))
    expect(tokenSection).to.contain("| `approve` | `approve` | WAW | 55% | 6 | 0 | `Token._allowances[0x7099…79C8][0x3C44…93BC]` |")
    expect(tokenSection).to.not.contain("**Suggestions**")
    // A fix's `code` stays code.
    expect(md).to.contain("or a `bool transient locked` in Solidity 0.8.28 or later.")
    expect(md).to.contain("> Not counted: Pool.\\_status is a storage reentrancy guard")
  })

  it("puts check results first", () => {
    const violations = checkThresholds(report, { Nft: { minSpeedup: 2 } })
    const out = renderMarkdown(report, { checks: { thresholds: { violations }, baseline: { file: "pevm-baseline.json", tolerance: 0.05, regressions: [] } } })
    expect(out).to.contain(
      "**Checks failed:** ❌ 1 threshold not met · ✅ no regression against the baseline (`pevm-baseline.json`, tolerance 5%)\n\n- ❌ Nft: speedup bound 1.23× is below minSpeedup 2.00× (pevm.thresholds.Nft.minSpeedup)",
    )
    expect(out.indexOf("**Checks failed:**")).to.be.lessThan(out.indexOf("| Contract |"))
    expect(renderMarkdown(report, { checks: { thresholds: { violations: [] } } })).to.contain("**Checks passed:** ✅ thresholds met")
  })

  it("escapes text from the report", () => {
    expect(escapeMarkdown("a <b>|*x*_[y](z)")).to.equal("a \\<b\\>\\|\\*x\\*\\_\\[y\\](z)")
    expect(codeSpan("a|b")).to.equal("`a\\|b`")
    expect(codeSpan("x`y")).to.equal("``x`y``")
    expect(codeSpan("`x`")).to.equal("`` `x` ``")
    expect(prose("use `a|b` <now>")).to.equal("use `a\\|b` \\<now\\>")
    const out = renderMarkdown(hostile)
    // Outside code spans (which show their text literally), no tag survives.
    const outsideCode = out.replace(/``.*?``/g, "").replace(/`[^`]*`/g, "")
    expect(outsideCode).to.not.match(/(?<!\\)<\/?(script|img|em|b)\b/)
    expect(out).to.contain("### Nft\\<b\\>")
    expect(out).to.contain("| `` Nft.<script>window.__pwned=3</script>\\|`x` `` |")
    expect(out).to.contain("Use \\<em\\>this\\</em\\> \\| and `that` \\[link\\](javascript:alert(1))")
    expect(out).to.contain("- ⚠️ a \"quoted\" \\<img src=x onerror=\"window.\\_\\_pwned=1\"\\> warning \\& more")
    // Every table row keeps its column count.
    for (const line of out.split("\n").filter((l) => l.startsWith("| `` Nft.<script>"))) {
      expect(line.replace(/\\\|/g, "").split("|").length).to.equal(8)
    }
  })

  it("shows fewer rows to stay under the size limit", () => {
    const slots: HotSlot[] = Array.from({ length: 20 }, (_, i) => ({ ...(token.hotSlots[0] as HotSlot), name: `Token._balances[${"0x".padEnd(42, String(i % 10))}]` }))
    const big: ContractReport[] = Array.from({ length: 30 }, (_, i) => ({ ...token, name: `Token${i}`, hotSlots: slots }))
    const out = renderMarkdown({ ...report, contracts: big }, { maxLength: 40_000 })
    expect(out.length).to.be.at.most(40_000)
    expect(out).to.contain("### Token29")
    expect(out).to.contain("more hot slots._")
    const cut = renderMarkdown({ ...report, contracts: big }, { maxLength: 5_000 })
    expect(cut.length).to.be.at.most(5_000)
    expect(cut).to.contain("_The report was cut here to fit; see the JSON or HTML report for the rest._")
  })

  it("renders an empty report", () => {
    expect(renderMarkdown(empty)).to.contain("No contract's code ran in the recorded transactions: nothing to analyse.")
  })

  it("appends to $GITHUB_STEP_SUMMARY when set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pevm-summary-"))
    try {
      const file = join(dir, "summary.md")
      writeFileSync(file, "# Earlier step\n")
      expect(await appendStepSummary(md, { GITHUB_STEP_SUMMARY: file })).to.equal(true)
      expect(await appendStepSummary("second", { GITHUB_STEP_SUMMARY: file })).to.equal(true)
      expect(readFileSync(file, "utf8")).to.equal(`# Earlier step\n${md}\nsecond\n\n`)
      expect(await appendStepSummary(md, {})).to.equal(false)
      expect(await appendStepSummary(md, { GITHUB_STEP_SUMMARY: "" })).to.equal(false)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
