/**
 * Root of a Merkle-Patricia trie keyed by RLP(index), as used for the
 * receipts and transactions roots. Built in one pass over the sorted keys and
 * hashed once, instead of inserting key by key into a database-backed trie
 * (which costs about 50 microseconds a receipt).
 */
import { RLP, type NestedUint8Array } from "@ethereumjs/rlp"
import { keccak256 } from "./crypto.js"

type NodeRef = Uint8Array | NestedUint8Array
interface Entry {
  readonly nibbles: Uint8Array
  readonly value: Uint8Array
}

export function orderedTrieRoot(values: readonly Uint8Array[]): Uint8Array {
  if (values.length === 0) return keccak256(RLP.encode(new Uint8Array()))
  const entries: Entry[] = values.map((value, i) => ({ nibbles: toNibbles(RLP.encode(i)), value }))
  entries.sort((a, b) => compareNibbles(a.nibbles, b.nibbles))
  return keccak256(RLP.encode(buildNode(entries, 0)))
}

function buildNode(entries: readonly Entry[], depth: number): NestedUint8Array {
  if (entries.length === 1) {
    const only = entries[0] as Entry
    return [hexPrefix(only.nibbles.subarray(depth), true), only.value]
  }
  const shared = commonPrefixLength(entries, depth)
  if (shared > 0) {
    const path = (entries[0] as Entry).nibbles.subarray(depth, depth + shared)
    return [hexPrefix(path, false), reference(buildNode(entries, depth + shared))]
  }
  const branch: NodeRef[] = []
  let value: Uint8Array = new Uint8Array()
  let start = 0
  if ((entries[0] as Entry).nibbles.length === depth) {
    value = (entries[0] as Entry).value
    start = 1
  }
  for (let nibble = 0; nibble < 16; nibble++) {
    let end = start
    while (end < entries.length && (entries[end] as Entry).nibbles[depth] === nibble) end++
    branch.push(end > start ? reference(buildNode(entries.slice(start, end), depth + 1)) : new Uint8Array())
    start = end
  }
  branch.push(value)
  return branch
}

/** A child is inlined when its encoding is shorter than 32 bytes, else referenced by hash. */
function reference(node: NestedUint8Array): NodeRef {
  const encoded = RLP.encode(node)
  return encoded.length < 32 ? node : keccak256(encoded)
}

function commonPrefixLength(entries: readonly Entry[], depth: number): number {
  const first = (entries[0] as Entry).nibbles
  const last = (entries[entries.length - 1] as Entry).nibbles // sorted: first and last bound the rest
  let length = 0
  while (depth + length < first.length && depth + length < last.length && first[depth + length] === last[depth + length]) {
    length++
  }
  return length
}

function hexPrefix(nibbles: Uint8Array, leaf: boolean): Uint8Array {
  const odd = nibbles.length % 2 === 1
  const out = new Uint8Array(Math.floor(nibbles.length / 2) + 1)
  out[0] = ((leaf ? 2 : 0) + (odd ? 1 : 0)) << 4
  let i = 0
  if (odd) out[0] = (out[0] as number) | (nibbles[i++] as number)
  for (let o = 1; i < nibbles.length; o++, i += 2) out[o] = ((nibbles[i] as number) << 4) | (nibbles[i + 1] as number)
  return out
}

function toNibbles(bytes: Uint8Array): Uint8Array {
  const nibbles = new Uint8Array(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    nibbles[2 * i] = (bytes[i] as number) >> 4
    nibbles[2 * i + 1] = (bytes[i] as number) & 15
  }
  return nibbles
}

function compareNibbles(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number)
  return a.length - b.length
}
