import { expect } from "chai"

import type { AccountChange, Hex, StateDiff } from "../../src/engine/index.js"
import { mergeDiffs } from "../../src/network/chainState.js"

const A: Hex = "0x00000000000000000000000000000000000000aa"
const B: Hex = "0x00000000000000000000000000000000000000bb"

function change(address: Hex, fields: Partial<AccountChange> = {}): AccountChange {
  return { address, deleted: false, storageCleared: false, storage: new Map(), ...fields }
}

const diff = (...changes: AccountChange[]): StateDiff => new Map(changes.map((c) => [c.address, c]))

describe("network: mergeDiffs (the pending state, one transaction run at a time)", function () {
  it("keeps what the newer diff leaves out, and takes what it sets", function () {
    const older = diff(change(A, { nonce: 1n, balance: 10n, storage: new Map([["0x01", 1n], ["0x02", 2n]]) }), change(B, { balance: 5n }))
    const newer = diff(change(A, { balance: 7n, storage: new Map([["0x02", 0n], ["0x03", 3n]]) }))
    const merged = mergeDiffs(older, newer) as StateDiff
    expect(merged.get(A)).to.deep.equal(change(A, { nonce: 1n, balance: 7n, storage: new Map([["0x01", 1n], ["0x02", 0n], ["0x03", 3n]]) }))
    expect(merged.get(B)).to.deep.equal(change(B, { balance: 5n }))
  })

  it("a storage wipe in the newer diff drops the older slots; the older wipe stays", function () {
    const older = diff(change(A, { storageCleared: true, storage: new Map([["0x01", 1n]]) }))
    const wiped = mergeDiffs(older, diff(change(A, { storageCleared: true, storage: new Map([["0x02", 2n]]) }))) as StateDiff
    expect(wiped.get(A)).to.deep.equal(change(A, { storageCleared: true, storage: new Map([["0x02", 2n]]) }))
    const kept = mergeDiffs(older, diff(change(A, { balance: 1n }))) as StateDiff
    expect(kept.get(A)).to.deep.equal(change(A, { storageCleared: true, balance: 1n, storage: new Map([["0x01", 1n]]) }))
  })

  it("keeps code set by the older diff unless the newer one sets its own", function () {
    const older = diff(change(A, { codeHash: "0xaa", code: "0x60" }))
    expect((mergeDiffs(older, diff(change(A, { nonce: 2n }))) as StateDiff).get(A)).to.deep.equal(change(A, { nonce: 2n, codeHash: "0xaa", code: "0x60" }))
    expect((mergeDiffs(older, diff(change(A, { codeHash: "0xbb", code: "0x61" }))) as StateDiff).get(A)).to.deep.include({ codeHash: "0xbb", code: "0x61" })
  })

  it("a deletion in the newer diff wins; an account deleted then made again cannot be merged", function () {
    const older = diff(change(A, { balance: 3n }))
    expect((mergeDiffs(older, diff(change(A, { deleted: true }))) as StateDiff).get(A)).to.deep.equal(change(A, { deleted: true }))
    expect(mergeDiffs(diff(change(A, { deleted: true })), diff(change(A, { balance: 1n })))).to.equal(undefined)
  })
})
