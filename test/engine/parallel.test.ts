import { expect } from "chai"

import { ParallelExecutor, executeBlock } from "../../src/engine/index.js"
import { compareResults } from "../../src/engine/compare.js"
import { chained, erc20Disjoint, erc20Hot } from "../fixtures/workloads.js"

describe("engine: parallel execution equals sequential", function () {
  const executor = new ParallelExecutor({ workers: 2 })
  after(() => executor.close())

  for (const [name, build] of [
    ["ERC-20 transfers between disjoint accounts", () => erc20Disjoint(64)],
    ["ERC-20 transfers to a hot 10% of accounts", () => erc20Hot(64)],
    ["a fully chained block (one counter)", () => chained(48)],
  ] as const) {
    it(name, async function () {
      const w = await build()
      const sequential = await executeBlock(w.preState, w.block, { mode: "sequential", chain: w.chain })
      const parallel = await executor.execute(w.preState, w.block, w.chain, { mode: "parallel" })
      expect(parallel.stats.mode).to.equal("parallel")
      expect(parallel.stats.fellBack).to.equal(false)
      expect(compareResults(sequential, parallel)).to.deep.equal([])
      expect(sequential.transactions.every((t) => t.receipt.status === 1)).to.equal(true)
    })
  }

  it("runs a block too small for the workers sequentially, and says so", async function () {
    const w = await erc20Disjoint(3)
    const result = await executor.execute(w.preState, w.block, w.chain, { mode: "parallel" })
    expect(result.stats.fellBack).to.equal(true)
    expect(result.stats.mode).to.equal("sequential")
    expect(result.stats.fallbackReason).to.match(/small block/)
  })
})
