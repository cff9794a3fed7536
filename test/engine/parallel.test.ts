import { expect } from "chai"

import { ParallelExecutor, executeBlock } from "../../src/engine/index.js"
import { compareResults } from "../../src/engine/compare.js"
import { keccak256 } from "../../src/engine/crypto.js"
import { bytesToHex, hexToBytes } from "../../src/engine/worldState.js"
import { testAccounts, type TestAccount } from "../fixtures/accounts.js"
import { compileFixtures } from "../fixtures/compile.js"
import { TestChain, ammSwaps, chained, erc20Disjoint, erc20Hot } from "../fixtures/workloads.js"

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

  it("traces call frames and slot preimages, the same in both modes", async function () {
    const w = await ammSwaps(16, 4)
    const options = { chain: w.chain, trace: true }
    const sequential = await executeBlock(w.preState, w.block, { mode: "sequential", ...options })
    const parallel = await executor.execute(w.preState, w.block, w.chain, { mode: "parallel", ...options })
    expect(parallel.stats.mode).to.equal("parallel")
    const untraced = await executeBlock(w.preState, w.block, { mode: "sequential", chain: w.chain })
    expect(untraced.transactions[0]?.trace).to.equal(undefined)
    for (const [i, tx] of sequential.transactions.entries()) {
      const trace = tx.trace
      expect(trace, `tx ${i}`).to.not.equal(undefined)
      expect(parallel.transactions[i]?.trace).to.deep.equal(trace)
      // The swap is the top call; its frame names the pool and the selector.
      const top = trace?.calls[0]
      expect(top?.depth).to.equal(0)
      expect(top?.kind).to.equal("call")
      expect(top?.selector).to.match(/^0x[0-9a-f]{8}$/)
      expect(top?.address).to.equal(top?.codeAddress)
      // Every written mapping slot hashes from one of the recorded preimages.
      const hashes = new Set(trace?.preimages.map((p) => bytesToHex(keccak256(hexToBytes(p)))))
      const mappingWrites = tx.access.writes.filter((wr) => "slot" in wr.key && BigInt(wr.key.slot) > 1000n)
      expect(mappingWrites.length).to.be.greaterThan(0)
      for (const wr of mappingWrites) expect(hashes.has((wr.key as { slot: `0x${string}` }).slot), `slot ${(wr.key as { slot: string }).slot}`).to.equal(true)
    }
  })

  it("traces a contract creation with the created address", async function () {
    const w = await erc20Disjoint(2)
    const chain = new TestChain(testAccounts(1), w.chain)
    const counter = compileFixtures()["Counter"]
    const deploy = chain.tx(chain.accounts[0] as TestAccount, undefined, hexToBytes(counter?.bytecode as string), { gasLimit: 1_000_000n })
    const result = await executeBlock(chain.state, chain.block([deploy]), { mode: "sequential", chain: w.chain, trace: true })
    const tx = result.transactions[0]
    expect(tx?.createdAddress).to.match(/^0x[0-9a-f]{40}$/)
    expect(tx?.trace?.calls[0]).to.deep.equal({ depth: 0, kind: "create", address: tx?.createdAddress, codeAddress: tx?.createdAddress })
  })
})
