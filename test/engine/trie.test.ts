/**
 * `orderedTrieRoot` (the one-pass root of a trie keyed by RLP(index), used for
 * receipts and transactions) against ethereumjs' MerklePatriciaTrie built key
 * by key. The sizes straddle the shapes of RLP(index) keys: 0 and 1 items,
 * 0x7f/0x80 (where keys go from one byte to two), 16 and 17 (a full branch
 * level), and thousands. Short values make nodes under 32 bytes, which are
 * inlined in their parent instead of hashed.
 */
import { createMPT } from "@ethereumjs/mpt"
import { RLP } from "@ethereumjs/rlp"
import { KECCAK256_RLP, bytesToHex } from "@ethereumjs/util"
import { expect } from "chai"

import { orderedTrieRoot } from "../../src/engine/trie.js"

/** Deterministic bytes: value i of a given length, distinct per index. */
function value(i: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = (i + 1) * 2654435761
  for (let j = 0; j < length; j++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0
    out[j] = x >>> 24
  }
  return out
}

async function referenceRoot(values: readonly Uint8Array[]): Promise<string> {
  const trie = await createMPT()
  for (const [i, v] of values.entries()) await trie.put(RLP.encode(i), v)
  return bytesToHex(trie.root())
}

describe("engine: orderedTrieRoot equals ethereumjs' MerklePatriciaTrie", function () {
  it("is the empty-trie root for no values", async function () {
    expect(bytesToHex(orderedTrieRoot([]))).to.equal(bytesToHex(KECCAK256_RLP))
    expect(bytesToHex(orderedTrieRoot([]))).to.equal(await referenceRoot([]))
  })

  const sizes = [1, 2, 3, 15, 16, 17, 127, 128, 129, 300, 1000]
  const shapes: [string, (i: number) => Uint8Array][] = [
    ["1-byte values", (i) => value(i, 1)],
    ["4-byte values (inlined nodes)", (i) => value(i, 4)],
    ["31-byte values", (i) => value(i, 31)],
    ["32-byte values", (i) => value(i, 32)],
    ["receipt-sized values", (i) => value(i, 300)],
    // No empty values: a trie cannot hold one (putting an empty value deletes the key).
    ["values of mixed length", (i) => value(i, [1, 2, 3, 5, 30, 31, 32, 33, 56, 120][i % 10] as number)],
  ]
  for (const [label, make] of shapes) {
    it(`${label}: ${sizes.join(", ")} items`, async function () {
      for (const n of sizes) {
        const values = Array.from({ length: n }, (_, i) => make(i))
        expect(bytesToHex(orderedTrieRoot(values)), `${n} items`).to.equal(await referenceRoot(values))
      }
    })
  }

  it("single bytes below 0x80 (values that RLP-encode as themselves)", async function () {
    for (const n of [1, 2, 16, 17, 128, 129]) {
      const values = Array.from({ length: n }, (_, i) => Uint8Array.of(i % 0x80))
      expect(bytesToHex(orderedTrieRoot(values)), `${n} items`).to.equal(await referenceRoot(values))
    }
  })

  it("does not depend on the values' buffers (subarrays of one buffer)", async function () {
    const backing = value(7, 64 * 40)
    const values = Array.from({ length: 40 }, (_, i) => backing.subarray(i * 64 + (i % 7), i * 64 + 40))
    expect(bytesToHex(orderedTrieRoot(values))).to.equal(await referenceRoot(values))
  })

  it("changes when any value changes", function () {
    const values = Array.from({ length: 130 }, (_, i) => value(i, 8))
    const root = bytesToHex(orderedTrieRoot(values))
    for (const at of [0, 1, 16, 127, 128, 129]) {
      const changed = values.slice()
      changed[at] = value(at + 1000, 8)
      expect(bytesToHex(orderedTrieRoot(changed)), `value ${at}`).to.not.equal(root)
    }
  })
})
