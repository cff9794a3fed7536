/**
 * State keys in their three forms (string id, shared-memory words, public
 * StateKey) and 256-bit values as eight Int32 words: every conversion must
 * round-trip, and the word forms must not depend on what the buffer held
 * before (the multi-version memory compares and hashes them word by word).
 */
import { expect } from "chai"

import {
  Field,
  KEY_WORDS,
  accountKey,
  keyFromId,
  keyFromWords,
  readValueWords,
  storageKey,
  toStateKey,
  writeKeyWords,
  writeValueWords,
  type KeyRef,
} from "../../src/engine/keys.js"
import type { Hex } from "../../src/engine/types.js"

const ADDRESSES: Hex[] = [
  "0x0000000000000000000000000000000000000000",
  "0x0000000000000000000000000000000000000001",
  "0xffffffffffffffffffffffffffffffffffffffff",
  "0x80000000000000000000000000000000000000ff",
  "0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e",
  "0x00000000219ab540356cbb839cbe05303d7705fa",
]
const SLOTS: Hex[] = [
  `0x${"00".repeat(32)}`,
  `0x${"00".repeat(31)}01`,
  `0x${"ff".repeat(32)}`,
  `0x80${"00".repeat(30)}7f`,
  "0x290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563",
]
const ACCOUNT_FIELDS = [Field.exists, Field.nonce, Field.balance, Field.code, Field.storageEpoch] as const

function allKeys(): KeyRef[] {
  const keys: KeyRef[] = []
  for (const address of ADDRESSES) {
    for (const field of ACCOUNT_FIELDS) keys.push(accountKey(address, field))
    for (const slot of SLOTS) keys.push(storageKey(address, slot))
  }
  return keys
}

function sameKey(actual: KeyRef, expected: KeyRef): void {
  expect(actual.field).to.equal(expected.field)
  expect(actual.address).to.equal(expected.address)
  expect(actual.slot).to.equal(expected.slot)
  expect(actual.id).to.equal(expected.id)
}

describe("engine: state keys", function () {
  it("ids are address + one letter for account fields, address + slot for storage", function () {
    const address = ADDRESSES[4] as Hex
    expect(ACCOUNT_FIELDS.map((field) => accountKey(address, field).id)).to.deep.equal(["e", "n", "b", "c", "x"].map((suffix) => address + suffix))
    const slot = SLOTS[4] as Hex
    const key = storageKey(address, slot)
    expect(key.id).to.equal(address + slot)
    expect(key.id).to.have.length(42 + 66)
    expect(key.field).to.equal(Field.storage)
  })

  it("keyFromId inverts every id", function () {
    for (const key of allKeys()) sameKey(keyFromId(key.id), key)
  })

  it("keyFromId rejects an unknown field letter", function () {
    expect(() => keyFromId(`${ADDRESSES[1]}q`)).to.throw(/bad state key id/)
  })

  it("ids are distinct across fields, slots and addresses", function () {
    const keys = allKeys()
    expect(new Set(keys.map((k) => k.id)).size).to.equal(keys.length)
  })

  it("toStateKey names the public field, or the slot", function () {
    const address = ADDRESSES[2] as Hex
    expect(ACCOUNT_FIELDS.map((f) => toStateKey(accountKey(address, f)))).to.deep.equal(
      (["exists", "nonce", "balance", "code", "storageEpoch"] as const).map((field) => ({ address, field })),
    )
    expect(toStateKey(storageKey(address, SLOTS[3] as Hex))).to.deep.equal({ address, slot: SLOTS[3] })
  })

  it("key words round-trip at any offset", function () {
    const keys = allKeys()
    const words = new Uint32Array(3 + keys.length * KEY_WORDS)
    keys.forEach((key, i) => writeKeyWords(key, words, 3 + i * KEY_WORDS))
    keys.forEach((key, i) => sameKey(keyFromWords(words, 3 + i * KEY_WORDS), key))
    // Int32 views of the same memory (as in the shared key table) read the same.
    const signed = new Int32Array(words.buffer)
    keys.forEach((key, i) => sameKey(keyFromWords(signed, 3 + i * KEY_WORDS), key))
  })

  it("key words do not depend on what the buffer held before", function () {
    for (const key of allKeys()) {
      const fresh = new Uint32Array(KEY_WORDS)
      writeKeyWords(key, fresh, 0)
      const dirty = new Uint32Array(KEY_WORDS).fill(0xdeadbeef)
      writeKeyWords(storageKey(ADDRESSES[2] as Hex, SLOTS[2] as Hex), dirty, 0)
      writeKeyWords(key, dirty, 0)
      expect([...dirty], key.id).to.deep.equal([...fresh])
    }
  })

  it("key words differ for different keys (the table compares them)", function () {
    const seen = new Set<string>()
    for (const key of allKeys()) {
      const words = new Uint32Array(KEY_WORDS)
      writeKeyWords(key, words, 0)
      seen.add(words.join(","))
    }
    expect(seen.size).to.equal(allKeys().length)
  })

  it("upper-case hex gives the same words, read back in lower case", function () {
    const upper = "0xABCDEF0123456789ABCDEF0123456789ABCDEF01" as Hex
    const lower = upper.toLowerCase() as Hex
    const a = new Uint32Array(KEY_WORDS)
    const b = new Uint32Array(KEY_WORDS)
    writeKeyWords(storageKey(upper, `0x${"AB".repeat(32)}`), a, 0)
    writeKeyWords(storageKey(lower, `0x${"ab".repeat(32)}`), b, 0)
    expect([...a]).to.deep.equal([...b])
    sameKey(keyFromWords(a, 0), storageKey(lower, `0x${"ab".repeat(32)}`))
  })

  it("writes exactly KEY_WORDS words", function () {
    const words = new Uint32Array(KEY_WORDS + 2).fill(7)
    writeKeyWords(accountKey(ADDRESSES[2] as Hex, Field.balance), words, 1)
    expect(words[0]).to.equal(7)
    expect(words[KEY_WORDS + 1]).to.equal(7)
  })
})

describe("engine: 256-bit value words", function () {
  const MAX = 2n ** 256n - 1n
  const VALUES = [
    0n,
    1n,
    42n,
    0x7fffffffn,
    0x80000000n,
    0xffffffffn,
    2n ** 32n,
    2n ** 32n + 1n,
    2n ** 53n + 1n,
    2n ** 64n - 1n,
    2n ** 64n,
    10n ** 18n * 123_456_789n,
    2n ** 224n,
    2n ** 255n,
    2n ** 255n + 0xffffffffn,
    MAX - 0xffffffffn,
    MAX,
    0x290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563n,
  ]

  it("round-trips 0, small values, 2^32, 2^255 and 2^256-1 at any offset", function () {
    const words = new Int32Array(5 + VALUES.length * 8)
    VALUES.forEach((value, i) => writeValueWords(value, words, 5 + i * 8))
    VALUES.forEach((value, i) => expect(readValueWords(words, 5 + i * 8), `${value}`).to.equal(value))
  })

  it("stores the most significant word first", function () {
    const words = new Int32Array(8)
    writeValueWords(2n ** 255n + 5n, words, 0)
    expect(words[0]! >>> 0).to.equal(0x80000000)
    expect([...words.subarray(1, 7)]).to.deep.equal([0, 0, 0, 0, 0, 0])
    expect(words[7]).to.equal(5)
  })

  it("overwrites every word: a small value over a large one reads back small", function () {
    const words = new Int32Array(8)
    for (const large of [MAX, 2n ** 255n, 2n ** 32n]) {
      for (const small of [0n, 1n, 0xffffffffn]) {
        writeValueWords(large, words, 0)
        writeValueWords(small, words, 0)
        expect(readValueWords(words, 0), `${small} over ${large}`).to.equal(small)
      }
    }
  })

  it("touches only its eight words", function () {
    for (const value of [0n, 5n, MAX]) {
      const words = new Int32Array(10).fill(-7)
      writeValueWords(value, words, 1)
      expect(words[0]).to.equal(-7)
      expect(words[9]).to.equal(-7)
      expect(readValueWords(words, 1)).to.equal(value)
    }
  })

  it("round-trips pseudo-random words", function () {
    let x = 0x9e3779b97f4a7c15n
    const words = new Int32Array(8)
    for (let i = 0; i < 500; i++) {
      x = (x * 6364136223846793005n + 1442695040888963407n) & MAX
      const value = i % 3 === 0 ? x >> BigInt(i % 256) : x
      writeValueWords(value, words, 0)
      expect(readValueWords(words, 0)).to.equal(value)
    }
  })
})
