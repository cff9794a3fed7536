/**
 * Internal state keys. A key names one field of one account, or one storage
 * slot, and has three forms: a string for Maps on one thread, fixed-size
 * words for the shared multi-version memory, and the public `StateKey`.
 * Every value is a 256-bit word held as a bigint; code is its keccak hash,
 * with 0n meaning "no code".
 */
import type { AccountField, Hex, StateKey } from "./types.js"

export const Field = {
  exists: 0,
  nonce: 1,
  balance: 2,
  code: 3,
  storageEpoch: 4,
  storage: 5,
} as const
export type FieldId = (typeof Field)[keyof typeof Field]

const FIELD_NAMES: readonly AccountField[] = ["exists", "nonce", "balance", "code", "storageEpoch"]
const FIELD_SUFFIX = ["e", "n", "b", "c", "x"] as const

/** A key in all the forms the engine needs, built once per access. */
export interface KeyRef {
  readonly field: FieldId
  /** 0x-prefixed lowercase address. */
  readonly address: Hex
  /** 0x-prefixed 32-byte slot, for storage keys. */
  readonly slot?: Hex
  /** Map key: address + one-letter field, or address + slot. */
  readonly id: string
}

export function accountKey(address: Hex, field: Exclude<FieldId, 5>): KeyRef {
  return { field, address, id: address + FIELD_SUFFIX[field] }
}

export function storageKey(address: Hex, slot: Hex): KeyRef {
  return { field: Field.storage, address, slot, id: address + slot }
}

export function keyFromId(id: string): KeyRef {
  const address = id.slice(0, 42) as Hex
  if (id.length === 43) {
    const field = FIELD_SUFFIX.indexOf(id[42] as (typeof FIELD_SUFFIX)[number])
    if (field < 0) throw new Error(`bad state key id ${id}`)
    return accountKey(address, field as Exclude<FieldId, 5>)
  }
  return storageKey(address, id.slice(42) as Hex)
}

export function toStateKey(key: KeyRef): StateKey {
  if (key.field === Field.storage) return { address: key.address, slot: key.slot as Hex }
  return { address: key.address, field: FIELD_NAMES[key.field] as AccountField }
}

/** Words per key in shared memory: field, 5 address words, 8 slot words. */
export const KEY_WORDS = 14

/** Writes the key's words into `out` at `offset` (Uint32 words). */
export function writeKeyWords(key: KeyRef, out: Uint32Array, offset: number): void {
  out[offset] = key.field
  hexToWords(key.address, out, offset + 1, 5)
  if (key.slot !== undefined) hexToWords(key.slot, out, offset + 6, 8)
  else out.fill(0, offset + 6, offset + 14)
}

export function keyFromWords(words: Uint32Array | Int32Array, offset: number): KeyRef {
  const field = words[offset] as FieldId
  const address = wordsToHex(words, offset + 1, 5)
  if (field === Field.storage) return storageKey(address, wordsToHex(words, offset + 6, 8))
  return accountKey(address, field as Exclude<FieldId, 5>)
}

const NIBBLE = new Int8Array(128).fill(-1)
for (let c = 0; c < 10; c++) NIBBLE[48 + c] = c
for (let c = 0; c < 6; c++) {
  NIBBLE[97 + c] = 10 + c
  NIBBLE[65 + c] = 10 + c
}

function hexToWords(hex: string, out: Uint32Array, offset: number, count: number): void {
  let at = 2
  for (let i = 0; i < count; i++) {
    let word = 0
    for (let j = 0; j < 8; j++) word = (word << 4) | (NIBBLE[hex.charCodeAt(at++)] as number)
    out[offset + i] = word >>> 0
  }
}

function wordsToHex(words: Uint32Array | Int32Array, offset: number, count: number): Hex {
  let s = "0x"
  for (let i = 0; i < count; i++) s += ((words[offset + i] as number) >>> 0).toString(16).padStart(8, "0")
  return s as Hex
}

/** Stores a 256-bit unsigned bigint as 8 words, most significant first. */
export function writeValueWords(value: bigint, out: Int32Array, offset: number): void {
  if (value < 0x100000000n) {
    out.fill(0, offset, offset + 7)
    out[offset + 7] = Number(value) | 0
    return
  }
  let v = value
  for (let i = 7; i >= 0; i--) {
    out[offset + i] = Number(v & 0xffffffffn) | 0
    v >>= 32n
  }
}

export function readValueWords(words: Int32Array, offset: number): bigint {
  let high = 0
  for (let i = 0; i < 7; i++) high |= words[offset + i] as number
  const low = BigInt((words[offset + 7] as number) >>> 0)
  if (high === 0) return low
  let v = 0n
  for (let i = 0; i < 8; i++) v = (v << 32n) | BigInt((words[offset + i] as number) >>> 0)
  return v
}
