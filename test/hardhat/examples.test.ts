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
import { execFileSync, spawnSync } from "node:child_process"
import { existsSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs"
import { dirname, isAbsolute, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

import { expect } from "chai"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..")
const examplesDir = join(root, "examples")
const env = { ...process.env, CI: "true", FORCE_COLOR: "0", PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` }

/** Every example: a folder of examples/ with a hardhat.config.ts. */
const examples = readdirSync(examplesDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(examplesDir, entry.name, "hardhat.config.ts")))
  .map((entry) => entry.name)
  .sort()

/** Every example's batch blocks hold at least this many transactions. */
const BATCH_BLOCK = 50

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue
    newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs)
  }
  return newest
}

/**
 * Builds dist/ unless it is newer than every file of src/ (the examples import
 * the built plugin). PEVM_EXAMPLES_NO_BUILD=1 uses dist/ as it is, e.g. while
 * someone else's half-written change in src/ does not compile.
 */
function ensureBuilt(): void {
  const entry = join(root, "dist", "hardhat", "index.js")
  const built = existsSync(entry) && existsSync(join(root, "dist", "engine", "workerEntry.mjs"))
  if (built && process.env.PEVM_EXAMPLES_NO_BUILD === "1") return
  if (built && statSync(entry).mtimeMs >= newestMtime(join(root, "src"))) return
  execFileSync("npm", ["run", "build"], { cwd: root, env, stdio: "inherit" })
}

/** Where the example's run record goes: `pevm.outputDir` when its config sets one, else `cache/pevm`. */
function runRecordPath(example: string): string {
  const dir = join(examplesDir, example)
  const config = readFileSync(join(dir, "hardhat.config.ts"), "utf8")
  const outputDir = /^\s*outputDir:\s*["'`]([^"'`]+)["'`]/m.exec(config)?.[1]
  if (outputDir === undefined) return join(dir, "cache", "pevm", "run.json")
  return join(isAbsolute(outputDir) ? outputDir : join(dir, outputDir), "run.json")
}

interface CliRun {
  status: number | null
  output: string
  passing: number | undefined
}

function hardhatTest(example: string, ...flags: string[]): CliRun {
  const run = spawnSync("npx", ["hardhat", "test", ...flags], { cwd: join(examplesDir, example), env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 })
  const output = `${run.stdout}\n${run.stderr}`
  // Hardhat's own summary ("N passing (N mocha)") comes last.
  const counts = [...output.matchAll(/(\d+) passing/g)].map((match) => Number(match[1]))
  return { status: run.status, output, passing: counts.at(-1) }
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
      let onEdr: CliRun | undefined

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
      })
    })
  }
})
