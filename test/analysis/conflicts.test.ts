/**
 * analyzeConflicts over hand-made histories with snapshot reverts: which
 * earlier transactions a later one depends on, and how many of its kind
 * could have conflicted (the rates' denominators), when blocks form a tree.
 */
import { expect } from "chai"

import type { AttributedTx } from "../../src/analysis/attribution.js"
import { analyzeConflicts, storageOwnerId } from "../../src/analysis/conflicts.js"
import { Lineage } from "../../src/analysis/lineage.js"
import type { Hex } from "../../src/engine/types.js"
import { RUN_RECORD_VERSION, type RecordedRead, type RecordedWrite, type RunRecord } from "../../src/network/record.js"

const C: Hex = "0x00000000000000000000000000000000000000c0"
const SLOT: Hex = "0x1"

/** A session's blocks as [number, revertedTo?]. */
function lineageOf(...sessions: (readonly (readonly [number, number?])[])[]): Lineage {
  const record = {
    version: RUN_RECORD_VERSION,
    tool: "hardhat-pevm",
    createdAt: "2026-01-01T00:00:00.000Z",
    codes: {},
    sessions: sessions.map((blocks, i) => ({
      id: `s${i}`,
      chainId: "31337",
      hardfork: "cancun",
      transactions: [],
      blocks: blocks.map(([number, revertedTo]) => ({ number: String(number), ...(revertedTo !== undefined ? { revertedTo: String(revertedTo) } : {}) })),
    })),
  } as unknown as RunRecord
  return new Lineage(record)
}

interface Step {
  readonly session?: number
  readonly block: number
  readonly reads?: readonly RecordedRead[]
  readonly writes?: readonly RecordedWrite[]
}

const read = (value = 1n): RecordedRead => ({ address: C, slot: SLOT, value: `0x${value.toString(16)}` })
const write = (from: bigint, to: bigint): RecordedWrite => ({ address: C, slot: SLOT, old: `0x${from.toString(16)}`, new: `0x${to.toString(16)}` })
const credit = (amount: bigint): RecordedWrite => ({ address: C, field: "balance", old: "0x0", new: `0x${amount.toString(16)}`, delta: `0x${amount.toString(16)}` })
const balanceRead: RecordedRead = { address: C, field: "balance", value: "0x1" }

function run(steps: readonly Step[], fns: readonly string[], lineage: Lineage) {
  const sequence = steps.map((s, i) => ({ order: i, session: s.session ?? 0, tx: { block: s.block, reads: s.reads ?? [], writes: s.writes ?? [] } }) as unknown as AttributedTx)
  const owners = new Set([storageOwnerId(0, C), storageOwnerId(1, C)])
  return analyzeConflicts(sequence, fns, owners, new Set(), lineage)
}

describe("analysis: conflicts on a tree of blocks", function () {
  it("links a read to the writer of its own chain, not to a sibling test's", function () {
    // Fixture block 0 writes; test A (block 1) writes again; test B (block 2, reverted to the fixture) reads.
    const lineage = lineageOf([[1], [2], [2, 1]])
    const analysis = run(
      [
        { block: 0, reads: [read(0n)], writes: [write(0n, 1n)] },
        { block: 1, reads: [read(1n)], writes: [write(1n, 2n)] },
        { block: 2, reads: [read(1n)], writes: [write(1n, 5n)] },
      ],
      ["setUp", "set", "set"],
      lineage,
    )
    expect(analysis.dependencies).to.deep.equal([[], [0], [0]])
    const pair = analysis.pairs.find((p) => p.from === "set" && p.to === "set")
    expect(pair, "set -> set: test B never saw test A's write").to.equal(undefined)
    // Without the lineage, the same record reads as one line of blocks.
    expect(run([{ block: 0, writes: [write(0n, 1n)] }, { block: 1, reads: [read()] }], ["a", "b"], lineageOf([[1], [2]])).dependencies).to.deep.equal([[], [0]])
  })

  it("brings back the credits before a full write that a revert threw away", function () {
    // Fixture: a payment credits the contract; test A withdraws (reads and writes the balance in full); test B withdraws again.
    const lineage = lineageOf([[1], [2], [2, 1]])
    const analysis = run(
      [
        { block: 0, writes: [credit(5n)] },
        { block: 1, reads: [balanceRead], writes: [{ address: C, field: "balance", old: "0x5", new: "0x1" }] },
        { block: 2, reads: [balanceRead], writes: [{ address: C, field: "balance", old: "0x5", new: "0x2" }] },
      ],
      ["pay", "withdraw", "withdraw"],
      lineage,
    )
    expect(analysis.dependencies).to.deep.equal([[], [0], [0]])
  })

  it("counts a later transaction as a chance to conflict only after one of the earlier function on its own chain", function () {
    // Test A: one set; test B: two sets. Only test B's second set came after a set on its chain.
    const lineage = lineageOf([[1], [2], [2, 1], [3]])
    const analysis = run(
      [
        { block: 1, reads: [read(0n)], writes: [write(0n, 1n)] },
        { block: 2, reads: [read(0n)], writes: [write(0n, 1n)] },
        { block: 3, reads: [read(1n)], writes: [write(1n, 2n)] },
      ],
      ["set", "set", "set"],
      lineage,
    )
    expect(analysis.opportunities.get("set|set")).to.equal(1)
    expect(analysis.pairs.find((p) => p.from === "set" && p.to === "set" && p.kind === "read-after-write")?.count).to.equal(1)
  })

  it("keeps sessions apart: another session's transactions are no chance to conflict", function () {
    const lineage = lineageOf([[1], [2]], [[1], [2]])
    const analysis = run(
      [
        { session: 0, block: 0, reads: [read(0n)], writes: [write(0n, 1n)] },
        { session: 0, block: 1, reads: [read(1n)], writes: [write(1n, 2n)] },
        { session: 1, block: 0, reads: [read(0n)], writes: [write(0n, 1n)] },
        { session: 1, block: 1, reads: [read(1n)], writes: [write(1n, 2n)] },
      ],
      ["set", "set", "set", "set"],
      lineage,
    )
    expect(analysis.dependencies).to.deep.equal([[], [0], [], [2]])
    expect(analysis.opportunities.get("set|set")).to.equal(2)
  })
})
