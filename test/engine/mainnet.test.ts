/**
 * Real mainnet history, from the blocks committed under test/fixtures/mainnet
 * (Frontier to Cancun): each block is replayed on its pre-state sequentially
 * and in parallel (Block-STM on two workers). Both must give the header's
 * gasUsed and logsBloom, and its receiptsRoot wherever it can be computed
 * (from Byzantium on), and parallel must equal sequential in every receipt,
 * access set and the post-state.
 */
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

import { expect } from "chai"

import { compareResults } from "../../src/engine/compare.js"
import { ParallelExecutor, executeBlock, loadReplayCase, type ReplayCase } from "../../src/engine/index.js"
import type { BlockResult, Hex } from "../../src/engine/index.js"
import type { WorldState } from "../../src/engine/worldState.js"

const FIXTURES = fileURLToPath(new URL("../fixtures/mainnet/", import.meta.url))
const BLOCKS = readdirSync(FIXTURES)
  .filter((name) => /^\d+$/.test(name))
  .sort((a, b) => Number(a) - Number(b))

const BYZANTIUM = 4_370_000n
const GWEI = 10n ** 9n

/** The hardfork each committed block must resolve to (mainnet's schedule). */
const HARDFORKS: Record<string, string> = {
  "46147": "chainstart",
  "930196": "chainstart",
  "2462997": "dao",
  "2675000": "spuriousDragon",
  "9068998": "petersburg",
  "19910734": "cancun",
  "19933122": "cancun",
}

/**
 * Blocks that may legitimately leave parallel mode, and the only reason
 * accepted. None today: 2462997 (the 2016 DoS attacks: 9 transactions writing
 * about 7,700 keys) used to overflow the shared memory until it was sized by
 * gas and fork as well as by transaction count.
 */
const MAY_FALL_BACK: Record<string, RegExp> = {}

/** A canonical text of a whole state, to prove that execution does not change its input. */
function fingerprint(state: WorldState): string {
  const accounts = [...state.accounts].sort(([a], [b]) => (a < b ? -1 : 1))
  const parts = accounts.map(([address, a]) => {
    const storage = [...a.storage].sort(([x], [y]) => (x < y ? -1 : 1)).map(([slot, value]) => `${slot}=${value}`)
    return `${address}:${a.nonce}:${a.balance}:${a.codeHash}:${storage.join(",")}`
  })
  return `${state.version}|${parts.join(";")}|${[...state.codes.keys()].sort().join(",")}`
}

function checkAgainstHeader(replay: ReplayCase, result: BlockResult): void {
  expect(result.gasUsed, "gasUsed").to.equal(replay.expected.gasUsed)
  expect(result.logsBloom, "logsBloom").to.equal(replay.expected.logsBloom)
  if (replay.number >= BYZANTIUM) expect(result.receiptsRoot, "receiptsRoot").to.equal(replay.expected.receiptsRoot)
  else if (result.receiptsRoot !== undefined) expect(result.receiptsRoot, "pre-Byzantium receiptsRoot").to.equal(replay.expected.receiptsRoot)

  expect(result.transactions).to.have.length(replay.block.transactions.length)
  let cumulative = 0n
  for (const tx of result.transactions) {
    expect(tx.included, `tx ${tx.index} included`).to.equal(true)
    expect(tx.receipt.cumulativeGasUsed - cumulative, `tx ${tx.index} gas`).to.equal(tx.blockGasUsed)
    cumulative = tx.receipt.cumulativeGasUsed
    if (replay.number >= BYZANTIUM) expect(tx.receipt.status, `tx ${tx.index} status`).to.be.oneOf([0, 1])
    else expect(tx.receipt.status, `tx ${tx.index} status`).to.equal(undefined)
  }
  expect(cumulative).to.equal(replay.expected.gasUsed)
}

describe("engine: mainnet blocks (committed fixtures)", function () {
  const executor = new ParallelExecutor({ workers: 2 })
  after(() => executor.close())

  it("has blocks from Frontier to Cancun", function () {
    expect(BLOCKS).to.deep.equal(Object.keys(HARDFORKS).sort((a, b) => Number(a) - Number(b)))
  })

  for (const name of BLOCKS) {
    it(`block ${name}: header fields, and parallel equals sequential`, async function () {
      const replay = await loadReplayCase(join(FIXTURES, name))
      expect(replay.hardfork).to.equal(HARDFORKS[name])
      const before = fingerprint(replay.preState)

      const sequential = await executeBlock(replay.preState, replay.block, { mode: "sequential", chain: replay.chain })
      expect(sequential.stats.mode).to.equal("sequential")
      checkAgainstHeader(replay, sequential)

      const options = { mode: "parallel", minParallelTransactions: 2 } as const
      const parallel = await executor.execute(replay.preState, replay.block, replay.chain, options)
      checkAgainstHeader(replay, parallel)
      expect(compareResults(sequential, parallel)).to.deep.equal([])

      const n = replay.block.transactions.length
      if (n < 2) {
        expect(parallel.stats.fellBack).to.equal(true)
        expect(parallel.stats.fallbackReason).to.match(/small block/)
      } else if (parallel.stats.fellBack) {
        const accepted = MAY_FALL_BACK[name]
        expect(accepted, `block ${name} fell back: ${parallel.stats.fallbackReason}`).to.not.equal(undefined)
        expect(parallel.stats.fallbackReason).to.match(accepted as RegExp)
      } else {
        expect(parallel.stats.mode).to.equal("parallel")
        expect(parallel.stats.transactions).to.equal(n)
        expect(parallel.stats.incarnations).to.be.at.least(n)
      }

      // Again on the same executor: the workers' replicas are now current and are reused.
      const again = await executor.execute(replay.preState, replay.block, replay.chain, options)
      expect(compareResults(sequential, again)).to.deep.equal([])
      expect(again.stats.mode).to.equal(parallel.stats.mode)

      expect(fingerprint(replay.preState), "the pre-state is left as it was").to.equal(before)
    })
  }

  it("block 19933122: blob transactions account for the header's blobGasUsed", async function () {
    const replay = await loadReplayCase(join(FIXTURES, "19933122"))
    const result = await executor.execute(replay.preState, replay.block, replay.chain, { mode: "parallel", minParallelTransactions: 2 })
    const blobTxs = result.transactions.filter((tx) => tx.receipt.type === 3)
    expect(blobTxs.length).to.be.greaterThan(0)
    for (const tx of blobTxs) expect((tx.blobGasUsed ?? 0n) > 0n, `tx ${tx.index} blob gas`).to.equal(true)
    const blobGas = result.transactions.reduce((sum, tx) => sum + (tx.blobGasUsed ?? 0n), 0n)
    expect(replay.block.header.blobGasUsed).to.not.equal(undefined)
    expect(blobGas).to.equal(replay.block.header.blobGasUsed)
    expect(new Set(result.transactions.map((tx) => tx.receipt.type))).to.deep.equal(new Set([0, 2, 3]))
  })

  it("block 19910734: withdrawals credit their recipients, in gwei", async function () {
    const replay = await loadReplayCase(join(FIXTURES, "19910734"))
    const withdrawals = replay.block.withdrawals ?? []
    expect(withdrawals.length).to.be.greaterThan(0)
    const credits = new Map<Hex, bigint>()
    for (const w of withdrawals) credits.set(w.address, (credits.get(w.address) ?? 0n) + w.amount * GWEI)

    for (const mode of ["sequential", "parallel"] as const) {
      const result =
        mode === "sequential"
          ? await executeBlock(replay.preState, replay.block, { mode, chain: replay.chain })
          : await executor.execute(replay.preState, replay.block, replay.chain, { mode, minParallelTransactions: 2 })
      expect(result.transactions).to.have.length(0)
      expect(result.gasUsed).to.equal(0n)
      for (const [address, credit] of credits) {
        const before = replay.preState.accounts.get(address)?.balance ?? 0n
        expect(result.stateDiff.get(address)?.balance, `${mode}: ${address}`).to.equal(before + credit)
      }
    }
  })
})
