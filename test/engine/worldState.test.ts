/**
 * The flat world state: a diff and the inverse `applyDiff` returns must bring
 * the state back exactly (accounts, storage, code), including deletions and
 * storage wipes; `changesSince` must give a replica exactly the diffs it
 * missed while the log reaches back, and say so when it does not; and a state
 * must survive serialize/deserialize (and structured clone) unchanged.
 */
import { expect } from "chai"

import { keccak256 } from "../../src/engine/crypto.js"
import { Field, accountKey, storageKey } from "../../src/engine/keys.js"
import type { AccountChange, Hex, StateDiff } from "../../src/engine/types.js"
import { WorldState, bytesToHex, hashToHex } from "../../src/engine/worldState.js"
import { Rng } from "../fixtures/randomBlocks.js"

/** Mostly small values, sometimes full 256-bit words. */
function word(rng: Rng): bigint {
  if (rng.chance(0.7)) return BigInt(rng.int(1000))
  let v = 0n
  for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt(rng.int(2 ** 32))
  return v
}

const address = (i: number): Hex => `0x${(0xa000 + i).toString(16).padStart(40, "0")}`
const slot = (i: number): Hex => `0x${i.toString(16).padStart(64, "0")}`

function codeOf(seed: number): { hash: Hex; code: Hex } {
  const bytes = Uint8Array.from({ length: 5 + (seed % 40) }, (_, i) => (seed * 31 + i * 7) & 0xff)
  return { hash: bytesToHex(keccak256(bytes)), code: bytesToHex(bytes) }
}

function change(addr: Hex, fields: Partial<Omit<AccountChange, "address">> = {}): AccountChange {
  return { address: addr, deleted: false, storageCleared: false, storage: new Map(), ...fields }
}

function diffOf(...changes: AccountChange[]): StateDiff {
  return new Map(changes.map((c) => [c.address, c]))
}

/** Accounts and storage in a canonical order; codes separately (they are content-addressed and only ever added). */
function accountsText(state: WorldState): string {
  return [...state.accounts]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([addr, a]) => {
      const storage = [...a.storage].sort(([x], [y]) => (x < y ? -1 : 1)).map(([s, v]) => `${s}=${v}`)
      return `${addr} n=${a.nonce} b=${a.balance} c=${a.codeHash} {${storage.join(",")}}`
    })
    .join("\n")
}

function codesText(state: WorldState): string {
  return [...state.codes]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([hash, code]) => `${hash}:${bytesToHex(code)}`)
    .join("\n")
}

function expectSameState(actual: WorldState, expected: WorldState, what = "state"): void {
  expect(accountsText(actual), what).to.equal(accountsText(expected))
  for (const [, account] of actual.accounts) {
    if (account.codeHash !== 0n) {
      const code = actual.code(account.codeHash)
      expect(code, `${what}: code for ${hashToHex(account.codeHash)}`).to.not.equal(undefined)
      expect(bytesToHex(keccak256(code as Uint8Array))).to.equal(hashToHex(account.codeHash))
    }
  }
}

/** A state of 12 accounts, some with code and storage. */
function sampleState(): WorldState {
  const state = new WorldState()
  const changes: AccountChange[] = []
  for (let i = 0; i < 12; i++) {
    const storage = new Map<Hex, bigint>()
    if (i % 3 === 0) for (let s = 0; s < 5; s++) storage.set(slot(s + i), BigInt(s + 1) * 1000n + BigInt(i))
    const code = i % 4 === 0 ? codeOf(i) : undefined
    changes.push(
      change(address(i), {
        nonce: BigInt(i),
        balance: 10n ** 18n * BigInt(i + 1),
        ...(code !== undefined ? { codeHash: code.hash, code: code.code } : {}),
        storage,
      }),
    )
  }
  state.applyDiff(diffOf(...changes))
  return state
}

/** A random diff over the first 16 addresses: new, changed, deleted and wiped accounts. */
function randomDiff(rng: Rng, state: WorldState): StateDiff {
  const changes: AccountChange[] = []
  for (let i = 0; i < 16; i++) {
    if (!rng.chance(0.5)) continue
    const addr = address(i)
    const exists = state.accounts.has(addr)
    if (exists && rng.chance(0.15)) {
      changes.push(change(addr, { deleted: true }))
      continue
    }
    const storage = new Map<Hex, bigint>()
    for (let k = rng.int(6); k > 0; k--) storage.set(slot(rng.int(20)), rng.chance(0.3) ? 0n : word(rng))
    const code = rng.chance(0.15) ? codeOf(100 + rng.int(50)) : undefined
    changes.push(
      change(addr, {
        ...(rng.chance(0.5) || !exists ? { nonce: word(rng) } : {}),
        ...(rng.chance(0.6) ? { balance: word(rng) } : {}),
        ...(code !== undefined ? { codeHash: code.hash, code: code.code } : {}),
        storageCleared: exists && rng.chance(0.2),
        storage,
      }),
    )
  }
  return diffOf(...changes)
}

describe("engine: WorldState", function () {
  describe("reads", function () {
    it("reads every field, with defaults for missing accounts", function () {
      const state = sampleState()
      const a = address(3)
      expect(state.read(accountKey(a, Field.exists))).to.equal(1n)
      expect(state.read(accountKey(a, Field.nonce))).to.equal(3n)
      expect(state.read(accountKey(a, Field.balance))).to.equal(4n * 10n ** 18n)
      expect(state.read(accountKey(a, Field.code))).to.equal(0n)
      expect(state.read(accountKey(a, Field.storageEpoch))).to.equal(0n)
      expect(state.read(storageKey(a, slot(3)))).to.equal(1003n)
      expect(state.read(storageKey(a, slot(100)))).to.equal(0n)
      expect(state.read(accountKey(address(0), Field.code))).to.equal(BigInt(codeOf(0).hash))
      const missing = address(99)
      for (const field of [Field.exists, Field.nonce, Field.balance, Field.code, Field.storageEpoch] as const) {
        expect(state.read(accountKey(missing, field))).to.equal(0n)
      }
      expect(state.read(storageKey(missing, slot(1)))).to.equal(0n)
      expect(state.hasStorage(a)).to.equal(true)
      expect(state.hasStorage(address(1))).to.equal(false)
      expect(state.hasStorage(missing)).to.equal(false)
      expect(state.code(0n)).to.deep.equal(new Uint8Array())
      expect(bytesToHex(state.code(BigInt(codeOf(0).hash)) as Uint8Array)).to.equal(codeOf(0).code)
    })
  })

  describe("applyDiff and its inverse", function () {
    it("counts versions and logs each diff", function () {
      const state = new WorldState()
      expect(state.version).to.equal(0)
      state.applyDiff(diffOf(change(address(1), { balance: 5n })))
      state.applyDiff(new Map())
      expect(state.version).to.equal(2)
      expect(state.changesSince(0)?.map((e) => e.version)).to.deep.equal([1, 2])
    })

    it("a new account: the inverse deletes it", function () {
      const state = sampleState()
      const before = state.clone()
      const inverse = state.applyDiff(diffOf(change(address(50), { nonce: 1n, balance: 7n, storage: new Map([[slot(1), 9n]]) })))
      expect(state.accounts.get(address(50))).to.deep.equal({ nonce: 1n, balance: 7n, codeHash: 0n, storage: new Map([[slot(1), 9n]]) })
      expect(inverse.get(address(50))?.deleted).to.equal(true)
      state.applyDiff(inverse)
      expectSameState(state, before)
      expect(state.accounts.has(address(50))).to.equal(false)
    })

    it("changed fields and slots (0n deletes a slot): the inverse restores only what changed", function () {
      const state = sampleState()
      const before = state.clone()
      const a = address(6)
      const inverse = state.applyDiff(
        diffOf(change(a, { balance: 1n, storage: new Map<Hex, bigint>([[slot(6), 0n], [slot(7), 5n], [slot(40), 4n]]) })),
      )
      const account = state.accounts.get(a)
      expect(account?.nonce).to.equal(6n)
      expect(account?.balance).to.equal(1n)
      expect(account?.storage.has(slot(6))).to.equal(false)
      expect(account?.storage.get(slot(7))).to.equal(5n)
      expect(account?.storage.get(slot(40))).to.equal(4n)
      expect(account?.storage.get(slot(8))).to.equal(3006n)
      const undo = inverse.get(a) as AccountChange
      expect(undo.storageCleared).to.equal(false)
      expect([...undo.storage.keys()].sort()).to.deep.equal([slot(6), slot(7), slot(40)])
      expect(undo.storage.get(slot(40))).to.equal(0n)
      state.applyDiff(inverse)
      expectSameState(state, before)
    })

    it("a deleted account with code and storage: the inverse brings all of it back", function () {
      const state = sampleState()
      const before = state.clone()
      const a = address(0) // code and five slots
      const inverse = state.applyDiff(diffOf(change(a, { deleted: true })))
      expect(state.accounts.has(a)).to.equal(false)
      expect(state.read(storageKey(a, slot(0)))).to.equal(0n)
      const undo = inverse.get(a) as AccountChange
      expect(undo.deleted).to.equal(false)
      expect(undo.codeHash).to.equal(codeOf(0).hash)
      expect(undo.code).to.equal(codeOf(0).code)
      expect(undo.storage.size).to.equal(5)
      state.applyDiff(inverse)
      expectSameState(state, before)
    })

    it("a storage wipe: old slots go, new ones stay; the inverse restores the old set exactly", function () {
      const state = sampleState()
      const before = state.clone()
      const a = address(9)
      const inverse = state.applyDiff(diffOf(change(a, { storageCleared: true, nonce: 1n, storage: new Map([[slot(200), 1n]]) })))
      expect([...(state.accounts.get(a)?.storage ?? new Map())]).to.deep.equal([[slot(200), 1n]])
      expect(state.hasStorage(a)).to.equal(true)
      state.applyDiff(inverse)
      expectSameState(state, before)
      expect(state.accounts.get(a)?.storage.has(slot(200))).to.equal(false)
    })

    it("a wipe to nothing leaves an account without storage", function () {
      const state = sampleState()
      state.applyDiff(diffOf(change(address(3), { storageCleared: true })))
      expect(state.hasStorage(address(3))).to.equal(false)
      expect(state.accounts.get(address(3))?.nonce).to.equal(3n)
    })

    it("code carried by a diff is stored by hash, and the inverse carries the old code", function () {
      const state = sampleState()
      const before = state.clone()
      const a = address(4) // has code
      const next = codeOf(77)
      const inverse = state.applyDiff(diffOf(change(a, { codeHash: next.hash, code: next.code })))
      expect(state.read(accountKey(a, Field.code))).to.equal(BigInt(next.hash))
      expect(bytesToHex(state.code(BigInt(next.hash)) as Uint8Array)).to.equal(next.code)
      expect(inverse.get(a)?.code).to.equal(codeOf(4).code)
      // A replica that never saw the old code gets it from the inverse.
      const replica = WorldState.deserialize({ ...state.serialize(), codes: state.serialize().codes.filter(([h]) => h !== BigInt(codeOf(4).hash)) })
      replica.applyDiff(inverse)
      expectSameState(replica, before)
      state.applyDiff(inverse)
      expectSameState(state, before)
    })

    it("random diffs: undoing them in reverse order restores the state exactly", function () {
      for (let seed = 1; seed <= 20; seed++) {
        const rng = new Rng(seed)
        const state = sampleState()
        const snapshots: string[] = []
        const inverses: StateDiff[] = []
        for (let step = 0; step < 10; step++) {
          snapshots.push(accountsText(state))
          inverses.push(state.applyDiff(randomDiff(rng, state)))
        }
        for (let step = 9; step >= 0; step--) {
          state.applyDiff(inverses[step] as StateDiff)
          expect(accountsText(state), `seed ${seed}, undoing step ${step}`).to.equal(snapshots[step])
        }
        expectSameState(state, sampleState(), `seed ${seed}`)
      }
    })

    it("random diffs: the inverse of the inverse redoes the diff", function () {
      for (let seed = 100; seed < 120; seed++) {
        const rng = new Rng(seed)
        const state = sampleState()
        state.applyDiff(randomDiff(rng, state))
        const inverse = state.applyDiff(randomDiff(rng, state))
        const after = state.clone()
        const redo = state.applyDiff(inverse)
        state.applyDiff(redo)
        expectSameState(state, after, `seed ${seed}`)
      }
    })
  })

  describe("changesSince", function () {
    it("gives a replica exactly the diffs it missed, oldest first", function () {
      const rng = new Rng(7)
      const state = sampleState()
      const replica = WorldState.deserialize(state.serialize())
      for (let i = 0; i < 5; i++) state.applyDiff(randomDiff(rng, state))
      const missed = state.changesSince(replica.version)
      expect(missed?.map((e) => e.version)).to.deep.equal([2, 3, 4, 5, 6])
      for (const entry of missed ?? []) replica.applyDiff(entry.diff)
      expect(replica.version).to.equal(state.version)
      expectSameState(replica, state)
    })

    it("is empty when up to date and undefined for a version it never had", function () {
      const state = sampleState()
      expect(state.changesSince(state.version)).to.deep.equal([])
      expect(state.changesSince(state.version + 1)).to.equal(undefined)
    })

    it("reaches back 64 diffs, no further", function () {
      const state = new WorldState()
      for (let i = 1; i <= 100; i++) state.applyDiff(diffOf(change(address(i % 5), { balance: BigInt(i) })))
      expect(state.version).to.equal(100)
      expect(state.changesSince(99)?.map((e) => e.version)).to.deep.equal([100])
      const oldest = state.changesSince(36)
      expect(oldest?.length).to.equal(64)
      expect(oldest?.[0]?.version).to.equal(37)
      expect(oldest?.[63]?.version).to.equal(100)
      expect(state.changesSince(35)).to.equal(undefined)
      expect(state.changesSince(0)).to.equal(undefined)
    })

    it("within the window, the diffs bring an old copy up to date", function () {
      const rng = new Rng(11)
      const state = sampleState()
      for (let i = 0; i < 30; i++) state.applyDiff(randomDiff(rng, state))
      const old = WorldState.deserialize(state.serialize())
      for (let i = 0; i < 64; i++) state.applyDiff(randomDiff(rng, state))
      const missed = state.changesSince(old.version)
      expect(missed?.length).to.equal(64)
      for (const entry of missed ?? []) old.applyDiff(entry.diff)
      expectSameState(old, state)
      state.applyDiff(randomDiff(rng, state))
      expect(state.changesSince(old.version - 64)).to.equal(undefined)
    })

    it("a deserialized state has no log: only its own version is reachable", function () {
      const state = sampleState()
      state.applyDiff(diffOf(change(address(1), { balance: 1n })))
      const copy = WorldState.deserialize(state.serialize())
      expect(copy.changesSince(copy.version)).to.deep.equal([])
      expect(copy.changesSince(copy.version - 1)).to.equal(undefined)
    })
  })

  describe("serialize, deserialize, clone", function () {
    it("round-trips identity, version, accounts and code, also through structured clone", function () {
      const rng = new Rng(3)
      const state = sampleState()
      for (let i = 0; i < 5; i++) state.applyDiff(randomDiff(rng, state))
      for (const data of [state.serialize(), structuredClone(state.serialize())]) {
        const copy = WorldState.deserialize(data)
        expect(copy.id).to.equal(state.id)
        expect(copy.version).to.equal(state.version)
        expect(accountsText(copy)).to.equal(accountsText(state))
        expect(codesText(copy)).to.equal(codesText(state))
        expectSameState(copy, state)
      }
    })

    it("a deserialized copy is independent of the original", function () {
      const state = sampleState()
      const copy = WorldState.deserialize(state.serialize())
      const text = accountsText(state)
      copy.applyDiff(diffOf(change(address(0), { storage: new Map([[slot(0), 0n]]) }), change(address(1), { deleted: true })))
      expect(accountsText(state)).to.equal(text)
      expect(state.version).to.equal(1)
    })

    it("clone has a new identity and the same content, and is independent", function () {
      const state = sampleState()
      const copy = state.clone()
      expect(copy.id).to.not.equal(state.id)
      expect(copy.version).to.equal(state.version)
      expectSameState(copy, state)
      copy.applyDiff(diffOf(change(address(3), { storageCleared: true })))
      expect(state.hasStorage(address(3))).to.equal(true)
    })

    it("fresh states get distinct identities", function () {
      expect(new WorldState().id).to.not.equal(new WorldState().id)
      expect(new WorldState("fixed").id).to.equal("fixed")
    })
  })
})
