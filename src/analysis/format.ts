/**
 * Small conversions the analysis shares: hex words to bigints and back,
 * keccak-256 of hex, EIP-55 checksummed and shortened addresses (`0x7099…79C8`),
 * and mapping keys written as Solidity would show them (addresses shortened,
 * unsigned and signed integers in decimal, booleans, fixed bytes in hex).
 */
import { keccak_256 } from "@noble/hashes/sha3.js"

import type { Hex } from "../engine/types.js"

const TWO_256 = 1n << 256n

export function hexToBytes(hex: string): Uint8Array {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex
  return new Uint8Array(Buffer.from(body.length % 2 === 1 ? `0${body}` : body, "hex"))
}

export function bytesToHex(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`
}

export function keccakHex(data: Uint8Array | string): Hex {
  return bytesToHex(keccak_256(typeof data === "string" ? hexToBytes(data) : data))
}

/** keccak-256 of a UTF-8 string (function signatures, ERC-7201 ids). */
export function keccakText(text: string): Hex {
  return bytesToHex(keccak_256(new TextEncoder().encode(text)))
}

/** A 32-byte word as 0x + 64 hex digits. */
export function word(value: bigint): Hex {
  return `0x${value.toString(16).padStart(64, "0")}`
}

/** A slot as the record writes it: 0x-hex without leading zeros. */
export function slotHex(value: bigint): Hex {
  return `0x${value.toString(16)}`
}

/** EIP-55 checksum of a 20-byte address given as hex. */
export function checksumAddress(address: string): string {
  const lower = address.toLowerCase().replace(/^0x/, "").padStart(40, "0")
  const hash = keccakText(lower).slice(2)
  let out = "0x"
  for (let i = 0; i < 40; i++) {
    const c = lower[i] as string
    out += parseInt(hash[i] as string, 16) >= 8 ? c.toUpperCase() : c
  }
  return out
}

/** `0x7099…79C8`: checksummed, first 4 and last 4 hex digits. */
export function shortAddress(address: string): string {
  const full = checksumAddress(address)
  return `${full.slice(0, 6)}…${full.slice(-4)}`
}

export function addressOfWord(value: bigint): Hex {
  return `0x${(value & ((1n << 160n) - 1n)).toString(16).padStart(40, "0")}`
}

/** A mapping key (the 32-byte word hashed with the slot) written for its Solidity key type label. */
export function formatKey(value: bigint, typeLabel: string | undefined): string {
  const label = typeLabel ?? "uint256"
  if (label === "address" || label === "address payable" || label.startsWith("contract ") || label.startsWith("interface ")) {
    return shortAddress(addressOfWord(value))
  }
  if (label === "bool") return value === 0n ? "false" : "true"
  const int = /^int(\d*)$/.exec(label)
  if (int !== null) return (value >= TWO_256 / 2n ? value - TWO_256 : value).toString()
  if (/^uint\d*$/.test(label) || label.startsWith("enum ")) return value.toString()
  const fixed = /^bytes(\d+)$/.exec(label)
  if (fixed !== null) {
    const size = Number(fixed[1])
    const hex = word(value).slice(2, 2 + size * 2)
    return size > 8 ? `0x${hex.slice(0, 4)}…${hex.slice(-4)}` : `0x${hex}`
  }
  // A user-defined value type or anything else: decimal when small, else a shortened word.
  return value < 1n << 64n ? value.toString() : `0x${word(value).slice(2, 6)}…${word(value).slice(-4)}`
}
