/** The speedup bound over hand-made dependency graphs, where the answer is known. */
import { expect } from "chai"

import { speedupBound } from "../../src/analysis/speedupBound.js"

describe("analysis: speedup bound", function () {
  it("is the transaction count for independent transactions of equal gas", function () {
    expect(speedupBound([100, 100, 100, 100], [[], [], [], []])).to.deep.equal({ transactions: 4, totalGas: 400, criticalPathGas: 100, bound: 4, longestChain: 1 })
  })

  it("is 1 for a chain", function () {
    expect(speedupBound([10, 20, 30], [[], [0], [1]])).to.deep.include({ criticalPathGas: 60, bound: 1, longestChain: 3 })
  })

  it("follows the heaviest path, not the longest", function () {
    // 0 -> 1 -> 2 (10 + 10 + 10) and 3 -> 4 (50 + 50): the second path is heavier though shorter.
    const bound = speedupBound([10, 10, 10, 50, 50], [[], [0], [1], [], [3]])
    expect(bound).to.deep.include({ totalGas: 130, criticalPathGas: 100, longestChain: 3 })
    expect(bound.bound).to.equal(1.3)
  })

  it("takes the heavier of two dependencies", function () {
    expect(speedupBound([5, 40, 1], [[], [], [0, 1]])).to.deep.include({ criticalPathGas: 41, longestChain: 2 })
  })

  it("is 1 for no transactions", function () {
    expect(speedupBound([], [])).to.deep.equal({ transactions: 0, totalGas: 0, criticalPathGas: 0, bound: 1, longestChain: 0 })
  })
})
