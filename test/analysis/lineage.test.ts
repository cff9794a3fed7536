/**
 * Lineage: which recorded blocks descend from which, from the record's revert
 * markers. Hand-made records for the shapes tests make (loadFixture's reverts,
 * hardhat_reset, blocks numbered above the reverted ones, older records
 * without markers, parts merged), then a real node: snapshot, mine, revert,
 * mine.
 */
import { expect } from "chai"

import { Lineage } from "../../src/analysis/lineage.js"
import { PevmProvider } from "../../src/network/provider.js"
import { mergeRunRecords, parseRunRecord, RUN_RECORD_VERSION, type RecordedBlock, type RunRecord } from "../../src/network/record.js"

/** A record of sessions of blocks given as [number, revertedTo?]. */
function recordOf(...sessions: (readonly (readonly [number, number?])[])[]): RunRecord {
  return {
    version: RUN_RECORD_VERSION,
    tool: "hardhat-pevm",
    createdAt: "2026-01-01T00:00:00.000Z",
    codes: {},
    sessions: sessions.map((blocks, i) => ({
      id: `session-${i}`,
      chainId: "31337",
      hardfork: "cancun",
      transactions: [],
      blocks: blocks.map(
        ([number, revertedTo]): RecordedBlock => ({
          number: String(number),
          env: { timestamp: "1", gasLimit: "30000000", coinbase: "0x0", prevRandao: "0x0" },
          transactions: 1,
          gasUsed: "21000",
          mode: "sequential",
          fellBack: false,
          incarnations: 1,
          reExecutions: 0,
          wallMs: 0,
          ...(revertedTo !== undefined ? { revertedTo: String(revertedTo) } : {}),
        }),
      ),
    })),
  }
}

const parents = (lineage: Lineage, session: number, count: number): number[] => Array.from({ length: count }, (_, b) => lineage.parent(session, b))
const at = (session: number, block: number) => ({ session, tx: { block } })

describe("analysis: lineage of recorded blocks", function () {
  it("takes a record without revert markers (older files) as one line of blocks", function () {
    const lineage = new Lineage(recordOf([[1], [2], [3], [4]]))
    expect(parents(lineage, 0, 4)).to.deep.equal([-1, 0, 1, 2])
    expect(lineage.descends(0, 0, 3)).to.equal(true)
    expect(lineage.descends(0, 3, 0)).to.equal(false)
  })

  it("gives each test after loadFixture's revert the fixture's block as parent, not the previous test's", function () {
    // Fixture #1; test A #2 #3; test B (reverted to 1) #2 #3; test C (reverted to 1) #2.
    const lineage = new Lineage(recordOf([[1], [2], [3], [2, 1], [3], [2, 1]]))
    expect(parents(lineage, 0, 6)).to.deep.equal([-1, 0, 1, 0, 3, 0])
    expect(lineage.descends(0, 1, 4)).to.equal(false)
    expect(lineage.descends(0, 2, 3)).to.equal(false)
    expect(lineage.descends(0, 3, 4)).to.equal(true)
    expect(lineage.descends(0, 0, 5)).to.equal(true)
    expect(lineage.descends(0, 4, 4)).to.equal(true)
    expect(lineage.before(at(0, 1), at(0, 2))).to.equal(true)
    expect(lineage.before(at(0, 1), at(0, 4))).to.equal(false)
    expect(lineage.before(at(0, 0), at(1, 0)), "another session is another chain").to.equal(false)
  })

  it("does not read a revert from the block numbers: a block numbered above the reverted ones is still on a new branch", function () {
    // #1, #2; back to 1; the next recorded block is #7 (blocks in between went unrecorded); then #8.
    const lineage = new Lineage(recordOf([[1], [2], [7, 1], [8]]))
    expect(parents(lineage, 0, 4)).to.deep.equal([-1, 0, 0, 2])
    expect(lineage.descends(0, 1, 3)).to.equal(false)
    // And a lower number without a marker is not a revert either.
    expect(parents(new Lineage(recordOf([[5], [3]])), 0, 2)).to.deep.equal([-1, 0])
  })

  it("drops every block on hardhat_reset (the fresh chain's head is block 0)", function () {
    const lineage = new Lineage(recordOf([[1], [2], [1, 0], [2]]))
    expect(parents(lineage, 0, 4)).to.deep.equal([-1, 0, -1, 2])
    expect(lineage.descends(0, 0, 3)).to.equal(false)
  })

  it("finds the chain with the most entries, across sessions, earliest first on a tie", function () {
    const record = recordOf([[1], [2], [3], [2, 1], [3]], [[1], [2]])
    const lineage = new Lineage(record)
    // Session 0: fixture (1 entry); test A blocks 1, 2 (1 entry each); test B blocks 3, 4 (2 entries each). Session 1: 3 entries.
    const entries = [at(0, 0), at(0, 1), at(0, 2), at(0, 3), at(0, 3), at(0, 4), at(0, 4), at(1, 0), at(1, 1), at(1, 1)]
    expect(lineage.fullestPath(entries)).to.deep.equal([at(0, 0), at(0, 3), at(0, 3), at(0, 4), at(0, 4)])
    // Without test B's entries: test A's chain (3) and session 1's (3) tie; the first wins.
    expect(lineage.fullestPath(entries.filter((e) => !(e.session === 0 && e.tx.block >= 3)))).to.deep.equal([at(0, 0), at(0, 1), at(0, 2)])
    expect(lineage.fullestPath([])).to.deep.equal([])
  })

  it("reads merged parts as one session: the marker travels with its block", function () {
    const whole = recordOf([[1], [2], [2, 1], [3]])
    const first = { ...whole, sessions: whole.sessions.map((s) => ({ ...s, blocks: s.blocks.slice(0, 2) })) }
    const second = { ...whole, sessions: whole.sessions.map((s) => ({ ...s, blocks: s.blocks.slice(2) })) }
    expect(parents(new Lineage(mergeRunRecords([first, second])), 0, 4)).to.deep.equal([-1, 0, 0, 2])
  })

  describe("on a real node", function () {
    const A0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
    const A1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"
    let provider: PevmProvider
    beforeEach(() => {
      provider = new PevmProvider({ workers: 2, printLine: () => undefined })
    })
    afterEach(() => provider.close())
    const call = (method: string, params: unknown[] = []) => provider.request({ method, params })
    const send = () => call("eth_sendTransaction", [{ from: A0, to: A1, value: "0x1" }])

    it("snapshot, mine, revert, mine: the block after the revert descends from the snapshot's head, not from the reverted blocks", async function () {
      await send() // block 1
      const snapshot = await call("evm_snapshot")
      await send() // block 2
      await send() // block 3
      await call("evm_revert", [snapshot])
      await send() // block 2 again
      await send() // block 3 again
      // Through JSON and the parser, as the report reads it.
      const record = parseRunRecord(JSON.parse(JSON.stringify(provider.recorder.take())))
      expect(record.sessions[0]?.blocks.map((b) => b.number)).to.deep.equal(["1", "2", "3", "2", "3"])
      const lineage = new Lineage(record)
      expect(parents(lineage, 0, 5)).to.deep.equal([-1, 0, 1, 0, 3])
      expect(lineage.descends(0, 2, 4)).to.equal(false)
    })

    it("a revert to the current head (nothing mined since the snapshot) cuts nothing", async function () {
      await send()
      await call("evm_revert", [await call("evm_snapshot")])
      await send()
      expect(parents(new Lineage(provider.recorder.take()), 0, 2)).to.deep.equal([-1, 0])
    })
  })

  it("refuses a record whose revert marker is not a block number", function () {
    const record = JSON.parse(JSON.stringify(recordOf([[1], [2, 1]]))) as { sessions: { blocks: { revertedTo?: unknown }[] }[] }
    expect(() => parseRunRecord(record)).not.to.throw()
    ;(record.sessions[0]?.blocks[1] as { revertedTo?: unknown }).revertedTo = "0x1"
    expect(() => parseRunRecord(record)).to.throw(/"revertedTo" is not a decimal string/)
  })
})
