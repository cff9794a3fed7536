/**
 * Parity with Hardhat's own network: one Hardhat project (test/fixtures/parity-project)
 * runs its tests twice through the real CLI, on EDR and with `--parallel-evm`. The
 * tests use ethers, the chai matchers and network-helpers (loadFixture, time, mine,
 * setBalance, impersonateAccount) over deployment, events, every kind of revert and
 * refused transaction, balance changes, time travel, impersonation, batch mining,
 * gas estimation, logs and filters, and console.log. Both runs must give the same
 * outcome test by test, note the same values (gas, error messages, blocks, logs),
 * and print the same console.log lines.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

import { expect } from "chai"

import { ensureBuilt, hardhat, root, type CliRun } from "../fixtures/hardhatCli.js"

const project = join(root, "test", "fixtures", "parity-project")

interface Observations {
  outcomes: Record<string, string | undefined>
  observed: Record<string, unknown>
}

describe("hardhat: the same tests on EDR and with --parallel-evm give the same results", function () {
  this.timeout(600_000)
  let dir: string
  const runs: Record<"edr" | "pevm", { cli: CliRun; seen: Observations }> = {} as never

  before(function () {
    ensureBuilt()
    dir = mkdtempSync(join(tmpdir(), "pevm-parity-"))
    for (const [name, flags] of [
      ["edr", []],
      ["pevm", ["--parallel-evm"]],
    ] as const) {
      const out = join(dir, `${name}.json`)
      const cli = hardhat(project, ["test", ...flags], { PARITY_OUT: out })
      runs[name] = { cli, seen: JSON.parse(readFileSync(out, "utf8")) as Observations }
    }
  })

  after(function () {
    rmSync(dir, { recursive: true, force: true })
  })

  it("ran on the node each run asked for, and every test passed on both", function () {
    expect(runs.edr.cli.stdout).to.include("node: edr")
    expect(runs.pevm.cli.stdout).to.include("node: hardhat-pevm")
    for (const name of ["edr", "pevm"] as const) {
      expect(runs[name].cli.status, runs[name].cli.output).to.equal(0)
      const failed = Object.entries(runs[name].seen.outcomes).filter(([, state]) => state !== "passed")
      expect(failed, `${name}: tests that did not pass`).to.deep.equal([])
    }
  })

  it("has the same outcome test by test", function () {
    expect(Object.keys(runs.edr.seen.outcomes).length).to.be.at.least(15)
    expect(runs.pevm.seen.outcomes).to.deep.equal(runs.edr.seen.outcomes)
  })

  it("notes the same gas, error messages, blocks and logs", function () {
    const edr = runs.edr.seen.observed
    const pevm = runs.pevm.seen.observed
    expect(Object.keys(pevm).sort()).to.deep.equal(Object.keys(edr).sort())
    for (const key of Object.keys(edr).sort()) expect(pevm[key], key).to.deep.equal(edr[key])
  })

  it("prints the same console.log lines", function () {
    const lines = (run: CliRun) => run.stdout.split("\n").filter((line) => line.startsWith("note from "))
    expect(lines(runs.edr.cli)).to.have.length.greaterThan(0)
    expect(lines(runs.pevm.cli)).to.deep.equal(lines(runs.edr.cli))
  })
})
