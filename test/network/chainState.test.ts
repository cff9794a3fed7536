import { expect } from "chai"

import type { AccountChange, Hex, StateDiff } from "../../src/engine/index.js"
import { mergeDiffInto } from "../../src/network/chainState.js"

const A: Hex = "0x00000000000000000000000000000000000000aa"
const B: Hex = "0x00000000000000000000000000000000000000bb"

function change(address: Hex, fields: Partial<AccountChange> = {}): AccountChange {
  return { address, deleted: false, storageCleared: false, storage: new Map(), ...fields }
}

const diff = (...changes: AccountChange[]): Map<Hex, AccountChange> => new Map(changes.map((c) => [c.address, c]))

/** `older` with `newer` folded in; throws when they cannot be merged. */
function merged(older: Map<Hex, AccountChange>, newer: StateDiff): Map<Hex, AccountChange> {
  expect(mergeDiffInto(older, newer)).to.equal(true)
  return older
}

describe("network: mergeDiffInto (the pending state, one transaction run at a time)", function () {
  it("keeps what the newer diff leaves out, and takes what it sets", function () {
    const older = diff(change(A, { nonce: 1n, balance: 10n, storage: new Map([["0x01", 1n], ["0x02", 2n]]) }), change(B, { balance: 5n }))
    const result = merged(older, diff(change(A, { balance: 7n, storage: new Map([["0x02", 0n], ["0x03", 3n]]) })))
    expect(result.get(A)).to.deep.equal(change(A, { nonce: 1n, balance: 7n, storage: new Map([["0x01", 1n], ["0x02", 0n], ["0x03", 3n]]) }))
    expect(result.get(B)).to.deep.equal(change(B, { balance: 5n }))
  })

  it("a storage wipe in the newer diff drops the older slots; the older wipe stays", function () {
    const wiped = merged(diff(change(A, { storageCleared: true, storage: new Map([["0x01", 1n]]) })), diff(change(A, { storageCleared: true, storage: new Map([["0x02", 2n]]) })))
    expect(wiped.get(A)).to.deep.equal(change(A, { storageCleared: true, storage: new Map([["0x02", 2n]]) }))
    const kept = merged(diff(change(A, { storageCleared: true, storage: new Map([["0x01", 1n]]) })), diff(change(A, { balance: 1n })))
    expect(kept.get(A)).to.deep.equal(change(A, { storageCleared: true, balance: 1n, storage: new Map([["0x01", 1n]]) }))
  })

  it("keeps code set by the older diff unless the newer one sets its own", function () {
    expect(merged(diff(change(A, { codeHash: "0xaa", code: "0x60" })), diff(change(A, { nonce: 2n }))).get(A)).to.deep.equal(
      change(A, { nonce: 2n, codeHash: "0xaa", code: "0x60" }),
    )
    expect(merged(diff(change(A, { codeHash: "0xaa", code: "0x60" })), diff(change(A, { codeHash: "0xbb", code: "0x61" }))).get(A)).to.deep.include({
      codeHash: "0xbb",
      code: "0x61",
    })
  })

  it("a deletion in the newer diff wins; an account deleted then made again is refused, and the target is left as it was", function () {
    expect(merged(diff(change(A, { balance: 3n })), diff(change(A, { deleted: true }))).get(A)).to.deep.equal(change(A, { deleted: true }))
    const older = diff(change(A, { deleted: true }), change(B, { balance: 1n }))
    expect(mergeDiffInto(older, diff(change(B, { balance: 2n }), change(A, { balance: 1n })))).to.equal(false)
    expect(older).to.deep.equal(diff(change(A, { deleted: true }), change(B, { balance: 1n })))
  })
})
