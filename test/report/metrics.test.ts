/**
 * The shared figures: conflict rates per contract and per function (worst
 * read-after-write pair, write-after-write left out), the function speedup
 * estimate, and which hot slots count as structural.
 */
import { expect } from "chai"

import type { ContractReport, HotSlot } from "../../src/analysis/types.js"
import {
  contractConflictRate,
  functionConflictRate,
  functionSpeedupEstimate,
  isStructuralHotSlot,
  nameOfSignature,
  shortFunctionLabel,
  structuralHotSlots,
} from "../../src/report/metrics.js"
import { nft, pool, token } from "./fixtures.js"
import { expectClose } from "../fixtures/approx.js"

describe("report metrics", () => {
  it("takes a contract's conflict rate from its worst read-after-write pair", () => {
    const rate = contractConflictRate(token)
    expect(rate.rate).to.equal(1)
    expect(rate.pair?.from).to.equal("mint(address,uint256)")
    expect(rate.pair?.to).to.equal("mint(address,uint256)")
  })

  it("breaks ties between equal rates by the larger count", () => {
    // swap0for1 -> swap0for1 (29) and swap0for1 -> swap1for0 (14) and addLiquidity -> swap0for1 (5) are all at 100%.
    expect(contractConflictRate(pool).pair).to.include({ from: "swap0for1(uint256)", to: "swap0for1(uint256)", count: 29 })
  })

  it("leaves write-after-write pairs out of conflict rates", () => {
    const wawOnly: ContractReport = { ...token, conflicts: token.conflicts.filter((p) => p.kind === "write-after-write") }
    expect(wawOnly.conflicts).to.have.length(6)
    expect(functionConflictRate(wawOnly, "transferFrom(address,address,uint256)")).to.deep.equal({ rate: 0 })
    expect(contractConflictRate(wawOnly).rate).to.equal(0)
    expect(contractConflictRate(wawOnly).pair).to.equal(undefined)
  })

  it("rates a function as the later transaction of its pairs", () => {
    const transferFrom = functionConflictRate(token, "transferFrom(address,address,uint256)")
    expect(transferFrom.rate).to.equal(0.9)
    expect(transferFrom.pair?.from).to.equal("approve(address,uint256)")
    // transfer is earlier in transfer -> transferFrom (45%) but its own worst is transfer -> transfer.
    expectClose(functionConflictRate(token, "transfer(address,uint256)").rate, 0.3793, 1e-4)
  })

  it("estimates a function's speedup as n / (1 + r (n - 1))", () => {
    const fn = (signature: string) => token.functions.find((f) => f.signature === signature)!
    // 60 transfers with a self-conflict rate of 22/58.
    expectClose(functionSpeedupEstimate(token, fn("transfer(address,uint256)")), 60 / (1 + (22 / 58) * 59), 1e-9)
    // No self-conflict: as many as its transactions.
    expect(functionSpeedupEstimate(token, fn("transferFrom(address,address,uint256)"))).to.equal(20)
    expectClose(functionSpeedupEstimate(token, fn("approve(address,uint256)")), 12 / 7, 1e-12)
    // Every mint conflicts with the one before: serial.
    expect(functionSpeedupEstimate(token, fn("mint(address,uint256)"))).to.equal(1)
    expect(functionSpeedupEstimate(token, fn("(deploy)"))).to.equal(1)
  })

  it("counts as structural only structural slots written twice or more that conflicted", () => {
    expect(structuralHotSlots(pool).map((s) => s.name)).to.deep.equal(["Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast"])
    expect(structuralHotSlots(nft).map((s) => s.name)).to.deep.equal(["Nft._nextTokenId"])
    const owner: HotSlot = { ...(nft.hotSlots[0] as HotSlot), name: "Nft._owner", writers: 1, conflicts: 5 }
    expect(isStructuralHotSlot(owner)).to.equal(false)
    expect(isStructuralHotSlot({ ...owner, writers: 2, conflicts: 0, writeConflicts: 0 })).to.equal(false)
    expect(isStructuralHotSlot({ ...owner, writers: 2, conflicts: 0, writeConflicts: 1 })).to.equal(true)
    expect(isStructuralHotSlot({ ...owner, writers: 9, conflicts: 9, kind: "data-dependent" })).to.equal(false)
  })

  it("labels functions by name unless overloaded", () => {
    expect(nameOfSignature("transfer(address,uint256)")).to.equal("transfer")
    expect(nameOfSignature("(fallback)")).to.equal("(fallback)")
    expect(shortFunctionLabel(token, "transfer(address,uint256)")).to.equal("transfer")
    const overloaded: ContractReport = {
      ...token,
      functions: [...token.functions, { name: "transfer", signature: "transfer(address,uint256,bytes)", transactions: 1, reverted: 0, gas: 1, meanGas: 1 }],
    }
    expect(shortFunctionLabel(overloaded, "transfer(address,uint256)")).to.equal("transfer(address,uint256)")
    expect(shortFunctionLabel(overloaded, "approve(address,uint256)")).to.equal("approve")
  })
})
