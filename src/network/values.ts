/**
 * Parsing and formatting JSON-RPC values. Every parser takes the parameter's
 * name, so that malformed input is rejected with -32602 and a message that
 * says which parameter is wrong and what was expected.
 */
import type { Hex } from "../engine/types.js"
import { InvalidParamsError } from "./errors.js"

export type BlockTag = "latest" | "earliest" | "pending" | "safe" | "finalized"
/** A block reference: a tag, a number, or a hash (EIP-1898). */
export type BlockRef = { readonly tag: BlockTag } | { readonly number: bigint } | { readonly hash: Hex; readonly requireCanonical?: boolean }

const HEX_BODY = /^[0-9a-fA-F]*$/

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value)
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

export function fail(name: string, value: unknown, expected: string): never {
  throw new InvalidParamsError(`Invalid ${name}: expected ${expected}, got ${describe(value)}`)
}

/** A QUANTITY: 0x-prefixed hex without leading zeros ("0x0" for zero). */
export function quantity(value: unknown, name: string): bigint {
  if (typeof value !== "string" || !value.startsWith("0x") || value.length < 3 || !HEX_BODY.test(value.slice(2))) {
    fail(name, value, "a hex quantity like 0x1a")
  }
  if (value.length > 3 && value[2] === "0") fail(name, value, "a hex quantity without leading zeros")
  if (value.length > 66) fail(name, value, "a quantity of at most 256 bits")
  return BigInt(value)
}

export function optionalQuantity(value: unknown, name: string): bigint | undefined {
  return value === undefined || value === null ? undefined : quantity(value, name)
}

/** A number that must fit in a JS number (indexes, counts). */
export function smallQuantity(value: unknown, name: string): number {
  const n = quantity(value, name)
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) fail(name, value, "a quantity that fits in 53 bits")
  return Number(n)
}

/** DATA: 0x-prefixed hex with an even number of digits, optionally of a fixed byte length. */
export function data(value: unknown, name: string, bytes?: number): Hex {
  if (typeof value !== "string" || !value.startsWith("0x") || value.length % 2 !== 0 || !HEX_BODY.test(value.slice(2))) {
    fail(name, value, bytes === undefined ? "0x-prefixed hex data" : `${bytes} bytes of 0x-prefixed hex data`)
  }
  if (bytes !== undefined && value.length !== 2 + bytes * 2) fail(name, value, `${bytes} bytes of 0x-prefixed hex data`)
  return value.toLowerCase() as Hex
}

export function address(value: unknown, name: string): Hex {
  if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) fail(name, value, "a 20-byte address")
  return value.toLowerCase() as Hex
}

export function hash32(value: unknown, name: string): Hex {
  return data(value, name, 32)
}

/** A storage slot: any quantity up to 32 bytes, or 32 bytes of data; returned as 32-byte hex. */
export function slot(value: unknown, name: string): Hex {
  if (typeof value !== "string" || !value.startsWith("0x") || value.length > 66 || !HEX_BODY.test(value.slice(2))) {
    fail(name, value, "a storage slot (up to 32 bytes of hex)")
  }
  return `0x${value.slice(2).toLowerCase().padStart(64, "0")}`
}

export function boolean(value: unknown, name: string): boolean {
  if (typeof value !== "boolean") fail(name, value, "true or false")
  return value
}

const TAGS = new Set<string>(["latest", "earliest", "pending", "safe", "finalized"])

/** A block tag, number, or `{ blockNumber }` / `{ blockHash, requireCanonical }` object (EIP-1898). */
export function blockRef(value: unknown, name: string, fallback: BlockTag = "latest"): BlockRef {
  if (value === undefined || value === null) return { tag: fallback }
  if (typeof value === "string") {
    if (TAGS.has(value)) return { tag: value as BlockTag }
    if (value.length === 66) return { hash: hash32(value, name) }
    return { number: quantity(value, name) }
  }
  if (typeof value === "object") {
    const object = value as Record<string, unknown>
    if (object.blockNumber !== undefined) return { number: quantity(object.blockNumber, `${name}.blockNumber`) }
    if (object.blockHash !== undefined) {
      return {
        hash: hash32(object.blockHash, `${name}.blockHash`),
        ...(object.requireCanonical !== undefined ? { requireCanonical: boolean(object.requireCanonical, `${name}.requireCanonical`) } : {}),
      }
    }
  }
  return fail(name, value, 'a block number, a block hash, or one of "latest", "earliest", "pending", "safe", "finalized"')
}

export function object(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) fail(name, value, "an object")
  return value as Record<string, unknown>
}

export function array(value: unknown, name: string): unknown[] {
  if (!Array.isArray(value)) fail(name, value, "an array")
  return value
}

/** Checks the number of positional parameters. */
export function params(list: unknown, method: string, min: number, max: number): unknown[] {
  const values = list === undefined ? [] : list
  if (!Array.isArray(values)) throw new InvalidParamsError(`Invalid params for ${method}: expected an array`)
  if (values.length < min || values.length > max) {
    const expected = min === max ? `${min}` : `${min} to ${max}`
    throw new InvalidParamsError(`Invalid params for ${method}: expected ${expected} parameters, got ${values.length}`)
  }
  return values
}

// --- formatting -----------------------------------------------------------------------

export function toQuantity(value: bigint | number): Hex {
  return `0x${value.toString(16)}`
}

export function toData(bytes: Uint8Array): Hex {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`
}

export function hexToBytes(hex: string): Uint8Array {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex
  return new Uint8Array(Buffer.from(body.length % 2 === 1 ? `0${body}` : body, "hex"))
}

export function word(value: bigint): Hex {
  return `0x${value.toString(16).padStart(64, "0")}`
}
