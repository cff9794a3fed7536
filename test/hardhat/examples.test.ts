/**
 * The examples in examples/, end to end, as a user runs them: the real CLI in
 * a child process (`npx hardhat test`, then `npx hardhat test --parallel-evm`)
 * from inside each example, with CI=true. An example has no node_modules of
 * its own: hardhat, the toolbox, OpenZeppelin, solc and hardhat-pevm itself
 * (a self-link, so dist/ must be built) resolve from the repository root.
 *
 * Each example must pass the same number of tests in both modes, and the
 * parallel run must leave a run record (`<outputDir>/run.json`, by default
 * `cache/pevm`) in which a block of the example's batch-mined transactions ran
 * in parallel. No timing is asserted.
 */
import { existsSync, readFileSync, readdirSync, rmSync } from "node:fs"
import { isAbsolute, join } from "node:path"

import { expect } from "chai"

import { ensureBuilt, examplesDir, hardhat } from "../fixtures/hardhatCli.js"

/** Every example: a folder of examples/ with a hardhat.config.ts. */
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(examplesDir, entry.name, "hardhat.config.ts")))
  .map((entry) => entry.name)
  .sort()

/** A slot each example's summary must name among the hottest, as Solidity names it. */
const HOT_SLOT: Readonly<Record<string, RegExp>> = {
  "erc20-token": /MeridianToken\._balances\[0x[0-9a-fA-F]{4}…[0-9a-fA-F]{4}\]/,
  amm: /Pool\.reserve0/,
  "nft-collection": /CometCollection\._nextTokenId/,
}

/** Every example's batch blocks hold at least this many transactions. */
const BATCH_BLOCK = 50

/** Where the example's run record goes: `pevm.outputDir` when its config sets one, else `cache/pevm`. */
function runRecordPath(example: string): string {
  const dir = join(examplesDir, example)
  const config = readFileSync(join(dir, "hardhat.config.ts"), "utf8")
  const outputDir = /^\s*outputDir:\s*["'`]([^"'`]+)["'`]/m.exec(config)?.[1]
  if (outputDir === undefined) return join(dir, "cache", "pevm", "run.json")
  return join(isAbsolute(outputDir) ? outputDir : join(dir, outputDir), "run.json")
}

interface TestRun {
  status: number | null
  output: string
  passing: number | undefined
}

function hardhatTest(example: string, ...flags: string[]): TestRun {
  const run = hardhat(join(examplesDir, example), ["test", ...flags])
  // Hardhat's own summary ("N passing (N mocha)") comes last.
  const counts = [...run.output.matchAll(/(\d+) passing/g)].map((match) => Number(match[1]))
  return { status: run.status, output: run.output, passing: counts.at(-1) }
}

interface RunRecordShape {
  tool: string
  sessions: { blocks: { mode: string; transactions: number }[] }[]
}

describe("examples: npx hardhat test on EDR and with --parallel-evm", function () {
  this.timeout(900_000)

  before(function () {
    ensureBuilt()
  })

  it("finds the examples", function () {
    expect(examples).to.include.members(["amm", "erc20-token", "nft-collection"])
  })

  for (const example of examples) {
    describe(example, function () {
      let onEdr: TestRun | undefined

      it("passes on Hardhat's EDR", function () {
        onEdr = hardhatTest(example)
        expect(onEdr.status, onEdr.output).to.equal(0)
        expect(onEdr.passing, onEdr.output).to.be.greaterThan(0)
        if (this.test !== undefined) this.test.title += ` (${onEdr.passing} passing)`
        expect(onEdr.output).not.to.include("Parallel EVM (hardhat-pevm)")
      })

      it("passes the same tests with --parallel-evm and records blocks that ran in parallel", function () {
        const recordPath = runRecordPath(example)
        rmSync(recordPath, { force: true })

        const parallel = hardhatTest(example, "--parallel-evm")
        expect(parallel.status, parallel.output).to.equal(0)
        expect(parallel.passing, parallel.output).to.be.greaterThan(0)
        if (onEdr !== undefined) expect(parallel.passing, "passing tests: --parallel-evm vs EDR").to.equal(onEdr.passing)
        if (this.test !== undefined) this.test.title += ` (${parallel.passing} passing)`

        expect(existsSync(recordPath), `${recordPath} after --parallel-evm`).to.equal(true)
        const record = JSON.parse(readFileSync(recordPath, "utf8")) as RunRecordShape
        expect(record.tool).to.equal("hardhat-pevm")
        const blocks = record.sessions.flatMap((session) => session.blocks)
        const parallelBlocks = blocks.filter((block) => block.mode === "parallel")
        expect(parallelBlocks.length, `blocks by mode: ${JSON.stringify(blocks.map((b) => b.mode))}`).to.be.greaterThan(0)
        // The example's batch-mined block (automine off, then evm_mine) is among them.
        expect(Math.max(...parallelBlocks.map((block) => block.transactions))).to.be.at.least(BATCH_BLOCK)

        // The summary: execution figures from the record, the hottest slots by name, the way on.
        expect(parallel.output).to.include("Parallel EVM (hardhat-pevm)")
        const totals = new RegExp(`║ ${blocks.length}\\s+│ ${blocks.reduce((n, b) => n + b.transactions, 0)}\\s+│`)
        expect(parallel.output, "blocks and transactions in the summary").to.match(totals)
        expect(parallel.output).to.include("Hottest storage slots")
        const expected = HOT_SLOT[example]
        if (expected !== undefined) expect(parallel.output).to.match(expected)
        expect(parallel.output).to.include("npx hardhat pevm-report")
      })
    })
  }
})
