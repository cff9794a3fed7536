import { expect } from "chai"
import { createMPT } from "@ethereumjs/mpt"
import { MerkleStateManager } from "@ethereumjs/statemanager"
import { Account, KECCAK256_NULL, bigIntToBytes, bytesToHex as utilBytesToHex, createAddressFromString } from "@ethereumjs/util"

import { initCrypto, keccak256 } from "../../src/engine/crypto.js"
import { BytesTrie, StateTrie, stateTrieOf } from "../../src/engine/stateRoot.js"
import type { AccountChange, Hex, StateDiff } from "../../src/engine/types.js"
import { WorldState, bytesToHex, hexToBytes } from "../../src/engine/worldState.js"
import { Rng } from "../fixtures/randomBlocks.js"

const ZERO_HASH = `0x${"00".repeat(32)}` as Hex

function word(rng: Rng): bigint {
  switch (rng.int(5)) {
    case 0:
      return BigInt(1 + rng.int(127)) // one byte, RLP encodes as itself
    case 1:
      return BigInt(128 + rng.int(128))
    case 2:
      return BigInt(bytesToHex(rng.bytes(1 + rng.int(31))))
    case 3:
      return (1n << 255n) | BigInt(bytesToHex(rng.bytes(32))) // a full 32-byte word
    default:
      return BigInt(1 + rng.int(1000))
  }
}

function slotKey(rng: Rng): Hex {
  const n = rng.chance(0.5) ? BigInt(rng.int(40)) : BigInt(bytesToHex(rng.bytes(32)))
  return `0x${n.toString(16).padStart(64, "0")}`
}

function codeFields(rng: Rng): { codeHash: Hex; code: Hex } {
  const code = rng.bytes(1 + rng.int(60))
  return { codeHash: bytesToHex(keccak256(code)), code: bytesToHex(code) }
}

function newAccount(rng: Rng, address: Hex): AccountChange {
  const storage = new Map<Hex, bigint>()
  const slots = rng.chance(0.4) ? 0 : rng.int(8)
  for (let i = 0; i < slots; i++) storage.set(slotKey(rng), word(rng))
  return {
    address,
    deleted: false,
    nonce: rng.chance(0.3) ? 0n : BigInt(rng.int(300)),
    balance: rng.chance(0.2) ? 0n : word(rng),
    ...(rng.chance(0.4) ? codeFields(rng) : {}),
    storageCleared: false,
    storage,
  }
}

function randomState(rng: Rng, accounts: number): WorldState {
  const state = new WorldState()
  const diff = new Map<Hex, AccountChange>()
  for (let i = 0; i < accounts; i++) {
    const address = bytesToHex(rng.bytes(20))
    diff.set(address, newAccount(rng, address))
  }
  state.applyDiff(diff)
  return state
}

/** A random diff over `state`: new accounts, deletions, field changes, code, storage sets/deletes/clears. */
function randomDiff(rng: Rng, state: WorldState): StateDiff {
  const diff = new Map<Hex, AccountChange>()
  const existing = [...state.accounts.keys()]
  const changes = 1 + rng.int(8)
  for (let i = 0; i < changes; i++) {
    const roll = rng.next()
    if (roll < 0.15 || existing.length === 0) {
      const address = bytesToHex(rng.bytes(20))
      diff.set(address, newAccount(rng, address))
      continue
    }
    const address = rng.pick(existing)
    if (roll < 0.27) {
      diff.set(address, { address, deleted: true, storageCleared: true, storage: new Map() })
      continue
    }
    if (roll < 0.3) {
      // Touched but unchanged: the account stays (and a missing one would be created empty).
      diff.set(address, { address, deleted: false, storageCleared: false, storage: new Map() })
      continue
    }
    const account = state.accounts.get(address)!
    const storage = new Map<Hex, bigint>()
    const own = [...account.storage.keys()]
    const writes = rng.int(6)
    for (let w = 0; w < writes; w++) {
      const kind = rng.int(4)
      if (kind === 0 && own.length > 0) storage.set(rng.pick(own), 0n) // delete an existing slot
      else if (kind === 1 && own.length > 0) storage.set(rng.pick(own), word(rng)) // overwrite
      else if (kind === 2) storage.set(slotKey(rng), rng.chance(0.2) ? 0n : word(rng)) // new (or a no-op delete)
      else storage.set(slotKey(rng), word(rng))
    }
    const codeRoll = rng.next()
    diff.set(address, {
      address,
      deleted: false,
      ...(rng.chance(0.5) ? { nonce: account.nonce + 1n } : {}),
      ...(rng.chance(0.6) ? { balance: rng.chance(0.1) ? 0n : word(rng) } : {}),
      ...(codeRoll < 0.1 ? codeFields(rng) : codeRoll < 0.13 ? { codeHash: ZERO_HASH } : {}),
      storageCleared: rng.chance(0.1),
      storage,
    })
  }
  return diff
}

// ---------------------------------------------------------------------------
// The oracle: ethereumjs' MerkleStateManager, given the same changes.

async function applyToOracle(sm: MerkleStateManager, diff: StateDiff): Promise<void> {
  for (const change of diff.values()) {
    const address = createAddressFromString(change.address)
    if (change.deleted) {
      if ((await sm.getAccount(address)) !== undefined) {
        await sm.clearStorage(address) // also resets its cached storage trie
        await sm.deleteAccount(address)
      }
      continue
    }
    if ((await sm.getAccount(address)) === undefined) await sm.putAccount(address, new Account())
    if (change.storageCleared) await sm.clearStorage(address)
    const noCode = change.codeHash === ZERO_HASH
    await sm.modifyAccountFields(address, {
      ...(change.nonce !== undefined ? { nonce: change.nonce } : {}),
      ...(change.balance !== undefined ? { balance: change.balance } : {}),
      ...(noCode ? { codeHash: KECCAK256_NULL } : {}),
    })
    if (change.code !== undefined && !noCode) await sm.putCode(address, hexToBytes(change.code))
    for (const [slot, value] of change.storage) {
      await sm.putStorage(address, hexToBytes(slot), value === 0n ? new Uint8Array() : bigIntToBytes(value))
    }
  }
}

async function oracleRoot(sm: MerkleStateManager): Promise<Hex> {
  return utilBytesToHex(await sm.getStateRoot()) as Hex
}

/** The whole state as one creation diff. */
function stateAsDiff(state: WorldState): StateDiff {
  const diff = new Map<Hex, AccountChange>()
  for (const [address, account] of state.accounts) {
    const code = state.codes.get(account.codeHash)
    diff.set(address, {
      address,
      deleted: false,
      nonce: account.nonce,
      balance: account.balance,
      codeHash: `0x${account.codeHash.toString(16).padStart(64, "0")}`,
      ...(code !== undefined ? { code: bytesToHex(code) } : {}),
      storageCleared: false,
      storage: new Map(account.storage),
    })
  }
  return diff
}

/** A fresh oracle holding `state`. */
async function oracleFor(state: WorldState): Promise<MerkleStateManager> {
  const sm = new MerkleStateManager()
  await applyToOracle(sm, stateAsDiff(state))
  return sm
}

// ---------------------------------------------------------------------------

describe("engine: incremental state root", function () {
  before(() => initCrypto())

  it("gives the empty-trie root for an empty state", async function () {
    const empty = await oracleRoot(new MerkleStateManager())
    expect(empty).to.equal("0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421")
    expect(StateTrie.EMPTY.root).to.equal(empty)
    expect(StateTrie.fromState(new WorldState()).root).to.equal(empty)
  })

  it("matches the oracle for a single account, with and without code and storage", async function () {
    const address = "0x00000000000000000000000000000000000000aa" as Hex
    const cases: AccountChange[] = [
      { address, deleted: false, storageCleared: false, storage: new Map() }, // an empty account
      { address, deleted: false, nonce: 1n, balance: 10n ** 18n, storageCleared: false, storage: new Map() },
      { address, deleted: false, nonce: 1n, balance: 0n, ...codeFields(new Rng(1)), storageCleared: false, storage: new Map() },
      {
        address,
        deleted: false,
        nonce: 1n,
        ...codeFields(new Rng(2)),
        storageCleared: false,
        storage: new Map<Hex, bigint>([[`0x${"00".repeat(31)}01`, 0x2an]]),
      },
    ]
    for (const change of cases) {
      const diff = new Map([[address, change]])
      const state = new WorldState()
      state.applyDiff(diff)
      const sm = new MerkleStateManager()
      await applyToOracle(sm, diff)
      const expected = await oracleRoot(sm)
      expect(StateTrie.fromState(state).root).to.equal(expected)
      expect(StateTrie.EMPTY.apply(diff).root).to.equal(expected)
    }
  })

  it("matches the oracle for accounts with empty storage, and storage emptied by a diff", async function () {
    const rng = new Rng(7)
    const state = new WorldState()
    const diff = new Map<Hex, AccountChange>()
    for (let i = 0; i < 20; i++) {
      const address = bytesToHex(rng.bytes(20))
      diff.set(address, { address, deleted: false, nonce: BigInt(i), balance: BigInt(i * 7), storageCleared: false, storage: new Map() })
    }
    state.applyDiff(diff)
    const sm = await oracleFor(state)
    let trie = StateTrie.fromState(state)
    expect(trie.root).to.equal(await oracleRoot(sm))

    // Give one account storage, then delete its slots one by one and clear another's.
    const [a, b] = [...state.accounts.keys()] as [Hex, Hex]
    const slots: Hex[] = [slotKey(rng), slotKey(rng), slotKey(rng)]
    const steps: StateDiff[] = [
      new Map([[a, { address: a, deleted: false, storageCleared: false, storage: new Map(slots.map((s) => [s, word(rng)])) }]]),
      new Map([[b, { address: b, deleted: false, storageCleared: false, storage: new Map([[slots[0]!, 5n]]) }]]),
      new Map([[a, { address: a, deleted: false, storageCleared: false, storage: new Map([[slots[0]!, 0n], [slots[1]!, 0n]]) }]]),
      new Map([[a, { address: a, deleted: false, storageCleared: false, storage: new Map([[slots[2]!, 0n]]) }]]),
      new Map([[b, { address: b, deleted: false, storageCleared: true, storage: new Map() }]]),
    ]
    for (const step of steps) {
      state.applyDiff(step)
      await applyToOracle(sm, step)
      trie = trie.apply(step)
      expect(trie.root).to.equal(await oracleRoot(sm))
      expect(StateTrie.fromState(state).root).to.equal(trie.root)
    }
    expect(trie.account(a)?.storageRoot).to.equal(StateTrie.EMPTY.root)
    expect(trie.account(b)?.storageRoot).to.equal(StateTrie.EMPTY.root)
  })

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`matches the oracle over random diffs (seed ${seed})`, async function () {
      const rng = new Rng(seed)
      const state = randomState(rng, 10 + rng.int(40))
      const sm = await oracleFor(state)
      let trie = StateTrie.fromState(state)
      expect(trie.root).to.equal(await oracleRoot(sm))
      for (let step = 0; step < 25; step++) {
        const diff = randomDiff(rng, state)
        state.applyDiff(diff)
        await applyToOracle(sm, diff)
        trie = trie.apply(diff)
        expect(trie.root, `step ${step}`).to.equal(await oracleRoot(sm))
        if (step % 5 === 4) expect(StateTrie.fromState(state).root, `rebuild at ${step}`).to.equal(trie.root)
      }
      // Accounts as committed agree with the oracle's.
      for (const address of [...state.accounts.keys()].slice(0, 10)) {
        const ours = trie.account(address)!
        const theirs = (await sm.getAccount(createAddressFromString(address)))!
        expect(ours.nonce).to.equal(theirs.nonce)
        expect(ours.balance).to.equal(theirs.balance)
        expect(ours.codeHash).to.equal(utilBytesToHex(theirs.codeHash))
        expect(ours.storageRoot).to.equal(utilBytesToHex(theirs.storageRoot))
      }
      expect(trie.account(bytesToHex(rng.bytes(20)))).to.equal(undefined)
    })
  }

  it("keeps earlier roots valid: a snapshot is a kept trie", async function () {
    const rng = new Rng(11)
    const state = randomState(rng, 30)
    const t0 = StateTrie.fromState(state)
    const snapshot = state.clone()
    // Derive later versions before hashing t0 at all: the old version's lazy hashes must still be right.
    const d1 = randomDiff(rng, state)
    const undo1 = state.applyDiff(d1)
    const t1 = t0.apply(d1)
    const d2 = randomDiff(rng, state)
    const undo2 = state.applyDiff(d2)
    const t2 = t1.apply(d2)
    const r2 = t2.root
    expect(r2).to.equal(await oracleRoot(await oracleFor(state)))
    const r0 = t0.root
    expect(r0).to.equal(await oracleRoot(await oracleFor(snapshot)))
    const r1 = t1.root
    expect(new Set([r0, r1, r2]).size).to.equal(3)

    // "evm_revert": go back to the kept trie; its root is unchanged.
    expect(t0.root).to.equal(r0)
    // The same revert as WorldState does it (inverse diffs applied forward) lands on the same roots.
    expect(t2.apply(undo2).root).to.equal(r1)
    expect(t2.apply(undo2).apply(undo1).root).to.equal(r0)

    // Branching off the snapshot with another diff does not disturb the other line.
    const other = randomDiff(rng, snapshot)
    snapshot.applyDiff(other)
    const t0b = t0.apply(other)
    expect(t0b.root).to.equal(await oracleRoot(await oracleFor(snapshot)))
    expect(t2.root).to.equal(r2)
    expect(t0.root).to.equal(r0)
  })

  it("gives the intermediate root after each diff", async function () {
    const rng = new Rng(21)
    const state = randomState(rng, 25)
    const sm = await oracleFor(state)
    const start = StateTrie.fromState(state)
    const startRoot = start.root
    const diffs: StateDiff[] = []
    const expected: Hex[] = []
    for (let i = 0; i < 12; i++) {
      const diff = randomDiff(rng, state)
      state.applyDiff(diff)
      diffs.push(diff)
      await applyToOracle(sm, diff)
      expected.push(await oracleRoot(sm))
    }
    const { roots, trie } = start.rootsAfterEach(diffs)
    expect(roots).to.deep.equal(expected)
    expect(trie.root).to.equal(expected[expected.length - 1])
    expect(start.applyAll(diffs).root).to.equal(trie.root)
    expect(start.root).to.equal(startRoot)
    expect(start.rootsAfterEach([]).roots).to.deep.equal([])
  })

  it("follows a WorldState through its diff log (stateTrieOf)", async function () {
    const rng = new Rng(31)
    const state = randomState(rng, 20)
    const first = stateTrieOf(state)
    expect(stateTrieOf(state)).to.equal(first) // nothing changed: the same trie
    // A block's diff applied to the trie first, then to the state: the catch-up reuses that work.
    const diff = randomDiff(rng, state)
    const post = first.apply(diff)
    state.applyDiff(diff)
    expect(stateTrieOf(state)).to.equal(post)
    for (let i = 0; i < 3; i++) state.applyDiff(randomDiff(rng, state))
    expect(stateTrieOf(state).root).to.equal(StateTrie.fromState(state).root)
    // More diffs than the log keeps: rebuilt from the state.
    for (let i = 0; i < 70; i++) state.applyDiff(randomDiff(rng, state))
    expect(stateTrieOf(state).root).to.equal(await oracleRoot(await oracleFor(state)))
  })

  it("builds the same nodes as ethereumjs' trie for long shared prefixes and inlined nodes", async function () {
    // Hashed keys practically never share long prefixes; raw keys reach the short, inlined node shapes.
    const rng = new Rng(41)
    const prefixes = [new Uint8Array(32), rng.bytes(32), rng.bytes(32)]
    const keyPool: Uint8Array[] = []
    for (let i = 0; i < 60; i++) {
      const key = (rng.pick(prefixes) as Uint8Array).slice()
      const keep = rng.pick([31, 31, 30, 28, 16, 0]) // shared bytes, then random ones, sometimes only half a byte
      for (let j = keep; j < 32; j++) key[j] = rng.int(256)
      if (rng.chance(0.3)) key[31] = (key[31]! & 0xf0) | rng.int(2)
      keyPool.push(key)
    }
    const mpt = await createMPT()
    let ours = BytesTrie.EMPTY
    expect(bytesToHex(ours.root)).to.equal(utilBytesToHex(mpt.root()))
    for (let op = 0; op < 400; op++) {
      const key = rng.pick(keyPool)
      if (rng.chance(0.3)) {
        await mpt.del(key)
        ours = ours.set(key, undefined)
      } else {
        const value = rng.bytes(1 + rng.pick([0, 0, 1, 3, 20, 40, 60]))
        await mpt.put(key, value)
        ours = ours.set(key, value)
      }
      expect(bytesToHex(ours.root), `op ${op}`).to.equal(utilBytesToHex(mpt.root()))
      const probe = rng.pick(keyPool)
      const theirs = await mpt.get(probe)
      expect(ours.get(probe) === undefined ? null : bytesToHex(ours.get(probe)!)).to.equal(theirs === null ? null : utilBytesToHex(theirs))
    }
  })
})
