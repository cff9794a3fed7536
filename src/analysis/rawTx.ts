/**
 * Just enough of a serialized transaction for the analysis: its nonce, gas
 * limit, value, recipient and calldata, read from the RLP fields (legacy, and
 * typed 1 to 4, whose fields all start the same way), and a copy with another
 * nonce for a replay that leaves other transactions out. The signature is kept
 * as it is: the engine is given each sender, so it does not recover it.
 */
import { RLP } from "@ethereumjs/rlp"

import type { Hex } from "../engine/types.js"
import { bytesToHex, hexToBytes } from "./format.js"

export class RawTransactionError extends Error {
  override readonly name = "RawTransactionError"
}

export interface RawFields {
  readonly type: number
  readonly nonce: bigint
  readonly gasLimit: bigint
  readonly to?: Hex
  readonly value: bigint
  readonly data: Uint8Array
}

type Field = Uint8Array | Field[]

function decodeList(raw: Uint8Array): { type: number; fields: Field[] } {
  const first = raw[0]
  if (first === undefined) throw new RawTransactionError("empty transaction")
  const type = first >= 0xc0 ? 0 : first
  const decoded = RLP.decode(type === 0 ? raw : raw.subarray(1))
  if (!Array.isArray(decoded)) throw new RawTransactionError(`malformed type ${type} transaction`)
  return { type, fields: decoded as Field[] }
}

/** Indexes of nonce, gas limit, to, value and data in the RLP list. */
function layout(type: number): { nonce: number; gasLimit: number; to: number; value: number; data: number } {
  switch (type) {
    case 0:
      return { nonce: 0, gasLimit: 2, to: 3, value: 4, data: 5 }
    case 1:
      return { nonce: 1, gasLimit: 3, to: 4, value: 5, data: 6 }
    case 2:
    case 3:
    case 4:
      return { nonce: 1, gasLimit: 4, to: 5, value: 6, data: 7 }
    default:
      throw new RawTransactionError(`unknown transaction type ${type}`)
  }
}

function scalar(field: Field | undefined, what: string): Uint8Array {
  if (field === undefined) return new Uint8Array()
  if (!(field instanceof Uint8Array)) throw new RawTransactionError(`malformed transaction: ${what} is a list`)
  return field
}

const big = (bytes: Uint8Array): bigint => (bytes.length === 0 ? 0n : BigInt(bytesToHex(bytes)))

export function decodeRaw(raw: Hex | Uint8Array): RawFields {
  const { type, fields } = decodeList(typeof raw === "string" ? hexToBytes(raw) : raw)
  const at = layout(type)
  const to = scalar(fields[at.to], "to")
  return {
    type,
    nonce: big(scalar(fields[at.nonce], "nonce")),
    gasLimit: big(scalar(fields[at.gasLimit], "gas limit")),
    ...(to.length === 20 ? { to: bytesToHex(to) } : {}),
    value: big(scalar(fields[at.value], "value")),
    data: scalar(fields[at.data], "data"),
  }
}

/** The same transaction with another nonce (signature unchanged). */
export function withNonce(raw: Hex | Uint8Array, nonce: bigint): Uint8Array {
  const bytes = typeof raw === "string" ? hexToBytes(raw) : raw
  const { type, fields } = decodeList(bytes)
  fields[layout(type).nonce] = nonce === 0n ? new Uint8Array() : hexToBytes(nonce.toString(16))
  const body = RLP.encode(fields)
  if (type === 0) return body
  const out = new Uint8Array(body.length + 1)
  out[0] = type
  out.set(body, 1)
  return out
}

/** The calldata's 32-byte argument words after the selector, as numbers (for "is this key an argument?"). */
export function argumentWords(data: Uint8Array): Set<bigint> {
  const words = new Set<bigint>()
  for (let at = 4; at + 32 <= data.length; at += 32) words.add(BigInt(bytesToHex(data.subarray(at, at + 32))))
  return words
}
