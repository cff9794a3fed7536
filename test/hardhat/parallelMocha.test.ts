/**
 * hardhat-mocha's parallel mode (`test.mocha.parallel`) under `--parallel-evm`:
 * each worker process runs its test file on its own node, saves what it
 * recorded, and the main process merges the parts into one run record and
 * prints one summary. Runs the parity project's two test files through the
 * CLI with test/fixtures/parity-project/hardhat.parallel.config.ts.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

import { expect } from "chai"

import { ensureBuilt, hardhat, root } from "../fixtures/hardhatCli.js"

const project = join(root, "test", "fixtures", "parity-project")

interface RecordShape {
  sessions: { id: string; blocks: { mode: string; transactions: number }[] }[]
}

describe("hardhat: --parallel-evm with mocha's parallel mode", function () {
  this.timeout(600_000)
  let dir: string

  before(function () {
    ensureBuilt()
    dir = mkdtempSync(join(tmpdir(), "pevm-mocha-parallel-"))
  })

  after(function () {
    rmSync(dir, { recursive: true, force: true })
  })

  it("gives each worker its own node and merges their records into one", function () {
    const run = hardhat(project, ["--config", "hardhat.parallel.config.ts", "test", "--parallel-evm"], { PEVM_OUTPUT_DIR: dir })
    expect(run.status, run.output).to.equal(0)
    expect(run.output).to.match(/\d+ passing/)
    expect(run.output).not.to.match(/\d+ failing/)
    expect(run.output).to.include("Parallel EVM (hardhat-pevm)")

    const record = JSON.parse(readFileSync(join(dir, "run.json"), "utf8")) as RecordShape
    // One session per worker's connection: the two files ran in two processes.
    expect(new Set(record.sessions.map((s) => s.id)).size).to.be.at.least(2)
    const blocks = record.sessions.flatMap((s) => s.blocks)
    expect(blocks.some((b) => b.mode === "parallel" && b.transactions === 4), "Transfers.ts's batch block").to.equal(true)
    expect(blocks.some((b) => b.mode === "parallel" && b.transactions === 6), "Parity.ts's batch block").to.equal(true)
    // The summary counts the merged record.
    expect(run.output).to.match(new RegExp(`║ ${blocks.length}\\s+│ ${blocks.reduce((n, b) => n + b.transactions, 0)}\\s+│`))
    // The workers' parts were merged and removed.
    expect(existsSync(join(dir, "parts")) ? readdirSync(join(dir, "parts")) : []).to.deep.equal([])
  })
})
