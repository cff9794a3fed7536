/**
 * Threshold checks: which setting applies (function by signature, by name,
 * contract, then "*"), the three rules, the messages (contract, function,
 * measured value, limit, config path), unmatched keys, and the terminal text.
 */
import { expect } from "chai"

import type { AnalysisReport } from "../../src/analysis/types.js"
import { checkThresholds, formatViolations, unmatchedThresholds, type Thresholds } from "../../src/report/checks.js"
import { stripAnsi } from "../../src/report/style.js"
import { nft, pool, report, token } from "./fixtures.js"
import { expectClose } from "../fixtures/approx.js"

describe("report checks: thresholds", () => {
  it("passes with no thresholds, and with thresholds that hold", () => {
    expect(checkThresholds(report, {})).to.deep.equal([])
    expect(checkThresholds(report, { Token: { maxConflictRate: 1, minSpeedup: 3 }, Pool: { minSpeedup: 1 } })).to.deep.equal([])
  })

  it("checks a contract's speedup bound against minSpeedup, naming both values and the setting", () => {
    const [v, ...rest] = checkThresholds(report, { Nft: { minSpeedup: 2 } })
    expect(rest).to.have.length(0)
    expect(v).to.include({ rule: "minSpeedup", contract: "Nft", measured: nft.speedupBound.bound, limit: 2, setting: "pevm.thresholds.Nft.minSpeedup" })
    expect(v?.function).to.equal(undefined)
    expect(v?.message).to.equal(
      "Nft: speedup bound 1.23× is below minSpeedup 2.00× (pevm.thresholds.Nft.minSpeedup); its 80 transactions have a critical path of 2,240,000 of 2,760,000 gas (a chain of 65).",
    )
  })

  it("applies a contract's maxConflictRate to each function and names the pair and slots", () => {
    const violations = checkThresholds(report, { Token: { maxConflictRate: 0.5 } })
    expect(violations.map((v) => [v.rule, v.function])).to.deep.equal([
      ["maxConflictRate", "transferFrom(address,address,uint256)"],
      ["maxConflictRate", "approve(address,uint256)"],
      ["maxConflictRate", "mint(address,uint256)"],
    ])
    const v = violations[0]!
    expect(v.rule === "maxConflictRate" && v.after).to.equal("approve(address,uint256)")
    expect(v.message).to.equal(
      "Token: transferFrom(address,address,uint256) conflicts (read-after-write) with an earlier approve(address,uint256) in 90% of its transactions " +
        "(18 of 20, on Token._allowances[0x7099…79C8][0x3C44…93BC]), above maxConflictRate 50% (pevm.thresholds.Token.maxConflictRate).",
    )
  })

  it("lets a function's own setting, by name or signature, override the contract's", () => {
    const thresholds: Thresholds = {
      Token: {
        maxConflictRate: 0.5,
        functions: { transferFrom: { maxConflictRate: 0.95 }, approve: { maxConflictRate: 0.6 }, "mint(address,uint256)": { maxConflictRate: 1 }, transfer: { maxConflictRate: 0.1 } },
      },
    }
    const violations = checkThresholds(report, thresholds)
    expect(violations).to.have.length(1)
    expect(violations[0]).to.include({ function: "transfer(address,uint256)", setting: "pevm.thresholds.Token.functions.transfer.maxConflictRate", limit: 0.1 })
    expect(violations[0]?.message).to.contain("in 38% of its transactions (22 of 58, on Token._balances[0x7099…79C8], Token._balances[0x3C44…93BC])")
  })

  it("prefers a signature over a name, and the contract's entry over \"*\"", () => {
    const thresholds: Thresholds = {
      "*": { maxConflictRate: 0, functions: { transfer: { maxConflictRate: 0 } } },
      Token: { functions: { transfer: { maxConflictRate: 0.2 }, "transfer(address,uint256)": { maxConflictRate: 0.3 } } },
    }
    const transfer = checkThresholds(report, thresholds).filter((v) => v.contract === "Token" && v.function === "transfer(address,uint256)")
    expect(transfer).to.have.length(1)
    expect(transfer[0]).to.include({ limit: 0.3, setting: 'pevm.thresholds.Token.functions["transfer(address,uint256)"].maxConflictRate' })
  })

  it("applies \"*\" to every contract", () => {
    const violations = checkThresholds(report, { "*": { maxConflictRate: 0.99 } })
    expect(violations.map((v) => `${v.contract} ${v.function}`)).to.deep.equal([
      "Token mint(address,uint256)",
      "Pool swap0for1(uint256)",
      "Pool swap1for0(uint256)",
      "Nft mint(address)",
    ])
    expect(violations.every((v) => v.setting === 'pevm.thresholds["*"].maxConflictRate')).to.equal(true)
  })

  it("matches a contract by its fully qualified name", () => {
    const violations = checkThresholds(report, { "contracts/Nft.sol:Nft": { minSpeedup: 1.5 } })
    expect(violations).to.have.length(1)
    expect(violations[0]?.setting).to.equal('pevm.thresholds["contracts/Nft.sol:Nft"].minSpeedup')
  })

  it("checks a function's minSpeedup against its estimate, and does not apply the contract's to functions", () => {
    expect(checkThresholds(report, { Token: { minSpeedup: 3 } })).to.deep.equal([])
    const violations = checkThresholds(report, { Token: { functions: { transfer: { minSpeedup: 3 }, transferFrom: { minSpeedup: 20 } } } })
    expect(violations).to.have.length(1)
    const v = violations[0]!
    expect(v).to.include({ rule: "minSpeedup", contract: "Token", function: "transfer(address,uint256)", limit: 3 })
    expectClose(v.rule === "minSpeedup" && v.measured, 60 / (1 + (22 / 58) * 59), 1e-9)
    expect(v.message).to.equal(
      "Token: transfer(address,uint256) would reach about 2.57× in a block of its 60 transactions (each conflicts with an earlier one at a rate of 38%), below minSpeedup 3.00× (pevm.thresholds.Token.functions.transfer.minSpeedup).",
    )
  })

  it("shows more digits when the rounded values would look equal", () => {
    const almost: AnalysisReport = { ...report, contracts: [{ ...nft, speedupBound: { ...nft.speedupBound, bound: 1.9996 } }] }
    expect(checkThresholds(almost, { Nft: { minSpeedup: 2 } })[0]?.message).to.contain("speedup bound 1.9996× is below minSpeedup 2.0000×")
  })

  it("forbids structural hot slots, one violation per slot, unless every writer is allowed", () => {
    const violations = checkThresholds(report, { "*": { forbidStructuralHotSlots: true } })
    expect(violations.map((v) => (v.rule === "forbidStructuralHotSlots" ? v.slot : ""))).to.deep.equal([
      "Token._totalSupply",
      "Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast",
      "Nft._nextTokenId",
    ])
    const nftViolation = violations[2]!
    expect(nftViolation).to.include({ contract: "Nft", function: "mint(address)", setting: 'pevm.thresholds["*"].forbidStructuralHotSlots', limit: true })
    expect(nftViolation.message).to.equal(
      "Nft: structural hot slot Nft._nextTokenId (a fixed variable: every transaction that writes it writes the same slot, whatever its inputs), written by mint(address) in 80% of its transactions, with 63 read-after-write conflicts; forbidden by pevm.thresholds[\"*\"].forbidStructuralHotSlots.",
    )

    // As in the config snippet: forbidden for the contract, allowed for mint.
    const allowed = checkThresholds(report, { Nft: { forbidStructuralHotSlots: true, functions: { mint: { forbidStructuralHotSlots: false } } } })
    expect(allowed).to.deep.equal([])
    // Allowed for one writer of the reserves but not the others: still a violation, naming the others.
    const pools = checkThresholds(report, { Pool: { forbidStructuralHotSlots: true, functions: { addLiquidity: { forbidStructuralHotSlots: false } } } })
    expect(pools).to.have.length(1)
    expect(pools[0]?.rule === "forbidStructuralHotSlots" && pools[0].functions).to.deep.equal(["swap0for1(uint256)", "swap1for0(uint256)"])
    // Forbidden for one function only.
    const onlySwap = checkThresholds(report, { Pool: { functions: { swap1for0: { forbidStructuralHotSlots: true } } } })
    expect(onlySwap).to.have.length(1)
    expect(onlySwap[0]).to.include({ function: "swap1for0(uint256)", setting: "pevm.thresholds.Pool.functions.swap1for0.forbidStructuralHotSlots" })
  })

  it("does not count data-dependent slots or slots not counted (guards)", () => {
    const only = { ...report, contracts: [token] }
    const violations = checkThresholds(only, { Token: { forbidStructuralHotSlots: true } })
    expect(violations.map((v) => (v.rule === "forbidStructuralHotSlots" ? v.slot : ""))).to.deep.equal(["Token._totalSupply"])
    expect(checkThresholds({ ...report, contracts: [{ ...pool, hotSlots: pool.hotSlots.slice(1) }] }, { Pool: { forbidStructuralHotSlots: true } })).to.deep.equal([])
  })

  it("warns about threshold keys that match nothing", () => {
    const warnings = unmatchedThresholds(report, {
      "*": { functions: { burn: { maxConflictRate: 0.1 }, transfer: { maxConflictRate: 0.1 } } },
      Tokn: { maxConflictRate: 0.1 },
      Token: { functions: { tranfer: { maxConflictRate: 0.1 }, "approve(address,uint256)": { maxConflictRate: 0.1 } } },
      "contracts/Pool.sol:Pool": { minSpeedup: 1 },
    })
    expect(warnings).to.deep.equal([
      'pevm.thresholds["*"].functions.burn matches no function that ran in any contract.',
      "pevm.thresholds.Tokn matches no contract in the report (contracts: Token, Pool, Nft).",
      "pevm.thresholds.Token.functions.tranfer matches no function of Token that ran (functions: transfer, transferFrom, approve, mint, (deploy)).",
    ])
  })

  it("formats violations for the terminal, coloured only when asked", () => {
    const violations = checkThresholds(report, { Nft: { minSpeedup: 2, forbidStructuralHotSlots: true } })
    const plain = formatViolations(violations)
    expect(plain.split("\n")).to.deep.equal(["✖ 2 pevm thresholds are not met:", `  1. ${violations[0]!.message}`, `  2. ${violations[1]!.message}`])
    const colored = formatViolations(violations, { color: true })
    expect(colored).to.contain("\u001b[31m")
    expect(stripAnsi(colored)).to.equal(plain)
    expect(formatViolations([])).to.equal("✔ All pevm thresholds are met.")
  })
})

describe("report checks: documentation", () => {
  it("describes every setting and figure for the README", async () => {
    const { CHECKS_MARKDOWN, BASELINE_MARKDOWN } = await import("../../src/report/index.js")
    for (const word of ["maxConflictRate", "minSpeedup", "forbidStructuralHotSlots", "`\"*\"`", "n / (1 + r (n - 1))", "read-after-write", "functions[name]"]) expect(CHECKS_MARKDOWN).to.contain(word)
    for (const word of ["hardhat-pevm-baseline", "baseline × (1 − t)", "1 − (1 − baseline) × (1 − t)", "baseline × (1 + t)", "New contracts"]) expect(BASELINE_MARKDOWN).to.contain(word)
  })
})

describe("report: the README", () => {
  it("carries the thresholds, baseline and JSON schema texts as the code defines them", async () => {
    const { readFileSync } = await import("node:fs")
    const { CHECKS_MARKDOWN, BASELINE_MARKDOWN, REPORT_JSON_SCHEMA_MARKDOWN } = await import("../../src/report/index.js")
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8")
    for (const [name, text] of Object.entries({ CHECKS_MARKDOWN, BASELINE_MARKDOWN, REPORT_JSON_SCHEMA_MARKDOWN })) {
      expect(readme.includes(text.trim()), `README.md lacks ${name} verbatim; paste it from src/report`).to.equal(true)
    }
  })
})
