/**
 * `npx hardhat pevm-report` through the real CLI, on the NFT example: with no
 * run record it runs the tests under `--parallel-evm` first; it writes the
 * JSON, Markdown and HTML reports and the job summary; `--check` fails on the
 * example's structural mint counter and passes once the threshold is loosened;
 * `--update-baseline` writes a baseline that the same run then meets, and a
 * baseline from a better contract makes `--baseline` fail. Each case uses its
 * own config file beside the example's (removed afterwards), which extends the
 * example's config with a temporary outputDir.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

import { expect } from "chai"

import { ensureBuilt, examplesDir, hardhat, type CliRun } from "../fixtures/hardhatCli.js"

const example = join(examplesDir, "nft-collection")
const STRICT = "hardhat.report-test-strict.config.ts"
const LOOSE = "hardhat.report-test-loose.config.ts"
const NONE = "hardhat.report-test-none.config.ts"

interface ReportJsonShape {
  schemaVersion: number
  contracts: {
    name: string
    hotSlots: { name: string; kind: string; writers: number }[]
    functions: { signature: string; speedupEstimate: number; transactions: number }[]
    suggestions: { pattern: string; slot: string; functions: string[] }[]
  }[]
  checks: { thresholds?: { violations: { rule: string; message: string }[] } } | null
}

/** A config file beside the example's, extending it with our outputDir and the thresholds given. */
function writeConfig(file: string, outputDir: string, thresholds: string): void {
  writeFileSync(
    join(example, file),
    `import base from "./hardhat.config.js"

export default { ...base, pevm: { ...base.pevm, outputDir: ${JSON.stringify(outputDir)}, thresholds: ${thresholds} } }
`,
  )
}

describe("hardhat: npx hardhat pevm-report on the NFT example", function () {
  this.timeout(600_000)
  let dir: string
  let first: CliRun

  const report = (config: string, ...args: string[]): CliRun => hardhat(example, ["--config", config, "pevm-report", ...args], { GITHUB_STEP_SUMMARY: join(dir, "summary.md") })

  before(function () {
    ensureBuilt()
    dir = mkdtempSync(join(tmpdir(), "pevm-report-"))
    // The example's own threshold: no structural hot slot in CometCollection.
    writeConfig(STRICT, join(dir, "pevm"), "base.pevm?.thresholds ?? {}")
    writeConfig(LOOSE, join(dir, "pevm"), `{ CometCollection: { forbidStructuralHotSlots: false, functions: { "transferFrom(address,address,uint256)": { minSpeedup: 1 } } } }`)
    first = report(STRICT, "--check", "--json", join(dir, "report.json"), "--markdown", join(dir, "report.md"), "--html", join(dir, "report.html"))
  })

  after(function () {
    for (const file of [STRICT, LOOSE, NONE]) rmSync(join(example, file), { force: true })
    rmSync(dir, { recursive: true, force: true })
  })

  it("runs the tests under --parallel-evm when there is no run record, then reports on them", function () {
    expect(first.stderr).to.include("No run record")
    expect(first.stdout, first.output).to.match(/\d+ passing/)
    expect(existsSync(join(dir, "pevm", "run.json")), "run record").to.equal(true)
    expect(first.stdout).to.include("Parallel EVM report")
    expect(first.stdout).to.include("CometCollection._nextTokenId")
    expect(first.stderr, "progress").to.match(/pevm-report: \[\d+\/\d+\] analysing CometCollection/)
  })

  it("fails --check on the structural mint counter with exit code 1, naming the slot and the threshold", function () {
    expect(first.status, first.output).to.equal(1)
    expect(first.stdout).to.match(/pevm thresholds? (is|are) not met/)
    expect(first.stdout).to.match(/structural hot slot CometCollection\._nextTokenId .*forbidden by pevm\.thresholds\.CometCollection\.forbidStructuralHotSlots/)
  })

  it("writes the JSON, Markdown and HTML reports and appends the Markdown to the job summary", function () {
    const json = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as ReportJsonShape
    expect(json.schemaVersion).to.equal(1)
    const nft = json.contracts.find((c) => c.name === "CometCollection")
    expect(nft, JSON.stringify(json.contracts.map((c) => c.name))).not.to.equal(undefined)
    // The tests deploy the collection more than once: each instance's counter is named with its address.
    const counters = nft?.hotSlots.filter((s) => s.name.startsWith("CometCollection._nextTokenId")) ?? []
    expect(counters.length, JSON.stringify(nft?.hotSlots.map((s) => s.name))).to.be.greaterThan(0)
    for (const counter of counters) expect(counter.kind).to.equal("structural")
    // Token entries are minted again in every test after loadFixture's revert; none is structural.
    expect(nft?.hotSlots.filter((s) => s.name.startsWith("CometCollection._owners[") && s.kind === "structural")).to.deep.equal([])
    const suggestion = nft?.suggestions.find((s) => s.slot === counters[0]?.name)
    expect(suggestion?.pattern, JSON.stringify(nft?.suggestions)).to.equal("global-counter")
    expect(suggestion?.functions).to.include("mint(uint256)")
    const mint = nft?.functions.find((f) => f.signature === "mint(uint256)")
    expect(mint?.transactions).to.be.greaterThan(50)
    // Every mint waits on the one before: a block of mints barely parallelises.
    expect(mint?.speedupEstimate).to.be.lessThan(1.5)
    expect(json.checks?.thresholds?.violations.some((v) => v.rule === "forbidStructuralHotSlots")).to.equal(true)

    const markdown = readFileSync(join(dir, "report.md"), "utf8")
    expect(markdown).to.include("CometCollection")
    expect(readFileSync(join(dir, "summary.md"), "utf8")).to.include(markdown.trim().split("\n")[0] ?? "")
    const html = readFileSync(join(dir, "report.html"), "utf8")
    expect(html).to.match(/^<!doctype html>/i)
    expect(html).to.include("CometCollection")
  })

  it("passes --check once the threshold is loosened, reading the recorded run instead of running the tests again", function () {
    const loose = report(LOOSE, "--check", "--no-replay")
    expect(loose.status, loose.output).to.equal(0)
    expect(loose.stderr).to.include("Reading the run record")
    expect(loose.stdout).not.to.match(/\d+ passing/)
    expect(loose.stdout).to.include("All pevm thresholds are met")
  })

  it("writes a baseline with --update-baseline, which the same run meets and a better baseline fails", function () {
    const baseline = join(dir, "baseline.json")
    const update = report(LOOSE, "--no-replay", "--baseline", baseline, "--update-baseline")
    expect(update.status, update.output).to.equal(0)
    const written = JSON.parse(readFileSync(baseline, "utf8")) as { contracts: Record<string, { speedupBound: number }> }
    const bound = written.contracts["CometCollection"]?.speedupBound
    expect(bound, readFileSync(baseline, "utf8")).to.be.a("number")

    const same = report(LOOSE, "--no-replay", "--baseline", baseline)
    expect(same.status, same.output).to.equal(0)

    // A baseline in which the contract parallelised twice as well: this run is a regression.
    ;(written.contracts["CometCollection"] as { speedupBound: number }).speedupBound = (bound as number) * 2
    writeFileSync(baseline, JSON.stringify(written))
    const worse = report(LOOSE, "--no-replay", "--baseline", baseline)
    expect(worse.status, worse.output).to.equal(1)
    expect(worse.stdout).to.include("CometCollection")
    expect(worse.stdout).to.match(/speedup bound/i)
  })

  it("explains a missing baseline, a bad one and a --check without thresholds as plugin errors", function () {
    const missing = report(LOOSE, "--no-replay", "--baseline", join(dir, "nope.json"))
    expect(missing.status).to.equal(1)
    expect(missing.output).to.include("does not exist")
    expect(missing.output).to.include("--update-baseline")
    expect(missing.stderr, "fails before analysing").not.to.include("analysing")

    writeConfig(NONE, join(dir, "pevm"), "{}")
    const noThresholds = report(NONE, "--check")
    expect(noThresholds.status).to.equal(1)
    expect(noThresholds.output).to.include("--check found no thresholds: set config.pevm.thresholds")

    writeFileSync(join(dir, "bad.json"), "{ not json")
    const bad = report(LOOSE, "--no-replay", "--baseline", join(dir, "bad.json"))
    expect(bad.status).to.equal(1)
    expect(bad.output).to.include("Error in community plugin hardhat-pevm: Invalid pevm baseline").and.to.include("not valid JSON")
  })
})
