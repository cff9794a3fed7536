/**
 * EIP-712 typed structured data hashing, as eth_signTypedData_v4 uses it.
 *
 * Semantics follow EDR (Hardhat's network), which hashes with alloy's
 * `TypedData`:
 * - the domain separator is built from the fields present in `domain` (name,
 *   version, chainId, verifyingContract, salt, in that order); a
 *   `types.EIP712Domain` entry is accepted but does not change it (with a
 *   consistent declaration, as every wallet library writes it, the result is
 *   the same as eth-sig-util's and ethers');
 * - with `primaryType: "EIP712Domain"` the digest is
 *   keccak256(0x1901 ‖ domainSeparator), without a struct hash;
 * - struct types must not be recursive; a missing message field is an error;
 *   fields that no type declares are ignored.
 *
 * Malformed input throws a `TypedDataError` that says what is wrong and where
 * (the node answers it with JSON-RPC -32602).
 */
import { keccak256 } from "../engine/crypto.js"

export interface TypedDataField {
  readonly name: string
  readonly type: string
}

export type TypedDataTypes = Readonly<Record<string, readonly TypedDataField[]>>

export interface TypedDataDomain {
  readonly name?: string
  readonly version?: string
  readonly chainId?: bigint | number | string
  readonly verifyingContract?: string
  readonly salt?: string | Uint8Array
}

export interface TypedData {
  readonly types: TypedDataTypes
  readonly primaryType: string
  readonly domain: TypedDataDomain
  readonly message?: Readonly<Record<string, unknown>>
}

export class TypedDataError extends Error {
  override name = "TypedDataError"
}

function fail(message: string): never {
  throw new TypedDataError(message)
}

// --- types -------------------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/
const TYPE_NAME = /^([A-Za-z_$][A-Za-z0-9_$]*)((?:\[(?:0|[1-9][0-9]*)?\])*)$/
const DOMAIN_FIELDS = [
  { name: "name", type: "string" },
  { name: "version", type: "string" },
  { name: "chainId", type: "uint256" },
  { name: "verifyingContract", type: "address" },
  { name: "salt", type: "bytes32" },
] as const

type Atomic =
  | { readonly kind: "uint" | "int"; readonly bits: number }
  | { readonly kind: "bytesN"; readonly size: number }
  | { readonly kind: "address" | "bool" | "bytes" | "string" }

/** An atomic (non-struct, non-array) type, or undefined. */
function atomicType(name: string): Atomic | undefined {
  switch (name) {
    case "address":
    case "bool":
    case "bytes":
    case "string":
      return { kind: name }
    case "uint":
    case "int":
      return { kind: name, bits: 256 }
  }
  let match = /^(u?int)([1-9][0-9]*)$/.exec(name)
  if (match !== null) {
    const bits = Number(match[2])
    return bits % 8 === 0 && bits <= 256 ? { kind: match[1] as "uint" | "int", bits } : undefined
  }
  match = /^bytes([1-9][0-9]*)$/.exec(name)
  if (match !== null) {
    const size = Number(match[1])
    return size <= 32 ? { kind: "bytesN", size } : undefined
  }
  return undefined
}

/** The element type of an array type ("T[2][]" -> "T[2]", length undefined for []), or undefined. */
function arrayOf(type: string): { readonly element: string; readonly length: number | undefined } | undefined {
  if (!type.endsWith("]")) return undefined
  const open = type.lastIndexOf("[")
  const size = type.slice(open + 1, -1)
  return { element: type.slice(0, open), length: size === "" ? undefined : Number(size) }
}

function baseOf(type: string): string {
  const bracket = type.indexOf("[")
  return bracket < 0 ? type : type.slice(0, bracket)
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
}

/**
 * Checks a `types` map: struct names are identifiers that are not atomic type
 * names, fields are `{ name, type }` with identifier names, no duplicates, and
 * every field type is atomic or declared (with any array suffixes); no
 * struct refers to itself, directly or not.
 */
export function validateTypes(types: unknown): TypedDataTypes {
  if (!isRecord(types)) fail(`"types" must be an object mapping struct names to field lists`)
  for (const [struct, fields] of Object.entries(types)) {
    if (!IDENTIFIER.test(struct)) fail(`invalid struct name ${JSON.stringify(struct)} in "types"`)
    if (atomicType(struct) !== undefined) fail(`struct name "${struct}" is an atomic type`)
    if (!Array.isArray(fields)) fail(`types.${struct} must be an array of { name, type } fields`)
    const seen = new Set<string>()
    fields.forEach((field: unknown, i) => {
      const at = `types.${struct}[${i}]`
      if (!isRecord(field)) fail(`${at} must be an object with "name" and "type"`)
      const { name, type } = field
      if (typeof name !== "string" || !IDENTIFIER.test(name)) fail(`${at}.name must be an identifier, got ${JSON.stringify(name)}`)
      if (typeof type !== "string") fail(`${at}.type must be a string, got ${JSON.stringify(type)}`)
      if (seen.has(name)) fail(`duplicate field "${name}" in struct "${struct}"`)
      seen.add(name)
      const match = TYPE_NAME.exec(type)
      const base = match?.[1]
      if (base === undefined) fail(`invalid type ${JSON.stringify(type)} for field "${name}" of struct "${struct}"`)
      if (atomicType(base) === undefined && !Object.hasOwn(types, base)) {
        fail(`unknown type "${base}" for field "${name}" of struct "${struct}"`)
      }
    })
  }
  const checked = types as TypedDataTypes
  // Reject cycles (depth-first search with colours).
  const state = new Map<string, 1 | 2>()
  const visit = (struct: string, path: string[]): void => {
    const mark = state.get(struct)
    if (mark === 2) return
    if (mark === 1) fail(`recursive struct type: ${[...path, struct].join(" -> ")}`)
    state.set(struct, 1)
    for (const field of checked[struct] ?? []) {
      const base = baseOf(field.type)
      if (Object.hasOwn(checked, base)) visit(base, [...path, struct])
    }
    state.set(struct, 2)
  }
  for (const struct of Object.keys(checked)) visit(struct, [])
  return checked
}

/** The struct types a struct refers to, itself included, directly or not. */
function dependencies(types: TypedDataTypes, struct: string, found = new Set<string>()): Set<string> {
  if (found.has(struct)) return found
  found.add(struct)
  for (const field of types[struct] ?? []) {
    const base = baseOf(field.type)
    if (Object.hasOwn(types, base)) dependencies(types, base, found)
  }
  return found
}

function structSignature(types: TypedDataTypes, struct: string): string {
  return `${struct}(${(types[struct] ?? []).map((f) => `${f.type} ${f.name}`).join(",")})`
}

/** encodeType: the primary struct, then the structs it refers to sorted by name. */
export function encodeType(types: TypedDataTypes, primaryType: string): string {
  if (!Object.hasOwn(types, primaryType)) fail(`type "${primaryType}" is not declared in "types"`)
  const deps = [...dependencies(types, primaryType)].filter((s) => s !== primaryType).sort()
  return [primaryType, ...deps].map((s) => structSignature(types, s)).join("")
}

// --- values ------------------------------------------------------------------------------

const TWO_256 = 1n << 256n
const HEX = /^0x[0-9a-fA-F]*$/

function describe(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

function integer(value: unknown, at: string): bigint {
  if (typeof value === "bigint") return value
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) fail(`${at}: ${value} is not a safe integer (give large numbers as strings)`)
    return BigInt(value)
  }
  if (typeof value === "string") {
    const negative = value.startsWith("-")
    const body = negative ? value.slice(1) : value
    if (/^[0-9]+$/.test(body) || /^0x[0-9a-fA-F]+$/.test(body)) {
      const n = BigInt(body)
      return negative ? -n : n
    }
  }
  return fail(`${at}: expected an integer (number, decimal or 0x-hex string), got ${describe(value)}`)
}

function bytesOf(value: unknown, at: string, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value
  if (typeof value !== "string" || !HEX.test(value) || value.length % 2 !== 0) {
    fail(`${at}: expected ${what} as 0x-prefixed hex with an even number of digits, got ${describe(value)}`)
  }
  return Uint8Array.from(Buffer.from(value.slice(2), "hex"))
}

function wordOf(n: bigint): Uint8Array {
  const out = new Uint8Array(32)
  let v = n
  for (let i = 31; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn)
    v >>= 8n
  }
  return out
}

function encodeAtomic(atomic: Atomic, value: unknown, at: string): Uint8Array {
  switch (atomic.kind) {
    case "uint": {
      const n = integer(value, at)
      if (n < 0n || n >= 1n << BigInt(atomic.bits)) fail(`${at}: ${n} is out of range for uint${atomic.bits}`)
      return wordOf(n)
    }
    case "int": {
      const n = integer(value, at)
      const half = 1n << BigInt(atomic.bits - 1)
      if (n < -half || n >= half) fail(`${at}: ${n} is out of range for int${atomic.bits}`)
      return wordOf(n < 0n ? TWO_256 + n : n)
    }
    case "bool":
      if (value === true || value === "true") return wordOf(1n)
      if (value === false || value === "false") return wordOf(0n)
      return fail(`${at}: expected a boolean, got ${describe(value)}`)
    case "address": {
      if (typeof value !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(value)) fail(`${at}: expected a 20-byte 0x-hex address, got ${describe(value)}`)
      const out = new Uint8Array(32)
      out.set(Buffer.from(value.slice(2), "hex"), 12)
      return out
    }
    case "bytesN": {
      const bytes = bytesOf(value, at, `bytes${atomic.size}`)
      if (bytes.length !== atomic.size) fail(`${at}: expected ${atomic.size} bytes for bytes${atomic.size}, got ${bytes.length}`)
      const out = new Uint8Array(32)
      out.set(bytes, 0)
      return out
    }
    case "bytes":
      return keccak256(bytesOf(value, at, "bytes"))
    case "string":
      if (typeof value !== "string") fail(`${at}: expected a string, got ${describe(value)}`)
      return keccak256(new TextEncoder().encode(value))
  }
}

/** The 32-byte encoding of one value of `type` (atomic, array or struct) in encodeData. */
function encodeValue(ctx: Context, type: string, value: unknown, at: string): Uint8Array {
  const array = arrayOf(type)
  if (array !== undefined) {
    if (!Array.isArray(value)) fail(`${at}: expected an array for ${type}, got ${describe(value)}`)
    if (array.length !== undefined && value.length !== array.length) {
      fail(`${at}: expected ${array.length} elements for ${type}, got ${value.length}`)
    }
    const out = new Uint8Array(32 * value.length)
    value.forEach((item, i) => out.set(encodeValue(ctx, array.element, item, `${at}[${i}]`), 32 * i))
    return keccak256(out)
  }
  if (Object.hasOwn(ctx.types, type)) return hashStructUnchecked(ctx, type, value, at)
  const atomic = atomicType(type)
  if (atomic === undefined) fail(`${at}: unknown type "${type}"`)
  return encodeAtomic(atomic, value, at)
}

/** The types of one hashing, with their type hashes computed once. */
interface Context {
  readonly types: TypedDataTypes
  readonly typeHashes: Map<string, Uint8Array>
}

function context(types: TypedDataTypes): Context {
  return { types, typeHashes: new Map() }
}

function typeHash(ctx: Context, struct: string): Uint8Array {
  let hash = ctx.typeHashes.get(struct)
  if (hash === undefined) ctx.typeHashes.set(struct, (hash = keccak256(new TextEncoder().encode(encodeType(ctx.types, struct)))))
  return hash
}

function hashStructUnchecked(ctx: Context, struct: string, value: unknown, at: string): Uint8Array {
  if (!isRecord(value)) fail(`${at}: expected an object for struct ${struct}, got ${describe(value)}`)
  const fields = ctx.types[struct] ?? []
  const out = new Uint8Array(32 * (fields.length + 1))
  out.set(typeHash(ctx, struct), 0)
  fields.forEach((field, i) => {
    const item = value[field.name]
    if (item === undefined || item === null) fail(`${at}.${field.name}: missing value for field "${field.name}" (${field.type}) of struct ${struct}`)
    out.set(encodeValue(ctx, field.type, item, `${at}.${field.name}`), 32 * (i + 1))
  })
  return keccak256(out)
}

/** hashStruct(value) = keccak256(typeHash ‖ encodeData(value)). Validates `types` first. */
export function hashStruct(types: TypedDataTypes, primaryType: string, value: unknown): Uint8Array {
  const checked = validateTypes(types)
  if (!Object.hasOwn(checked, primaryType)) fail(`type "${primaryType}" is not declared in "types"`)
  return hashStructUnchecked(context(checked), primaryType, value, "message")
}

/** The EIP-712 domain separator of the fields present in `domain`. */
export function domainSeparator(domain: unknown): Uint8Array {
  if (domain === undefined || domain === null) domain = {}
  if (!isRecord(domain)) fail(`"domain" must be an object, got ${describe(domain)}`)
  const present = DOMAIN_FIELDS.filter((f) => domain[f.name] !== undefined && domain[f.name] !== null)
  const types: TypedDataTypes = { EIP712Domain: present }
  return hashStructUnchecked(context(types), "EIP712Domain", domain, "domain")
}

/**
 * The digest eth_signTypedData_v4 signs: keccak256(0x1901 ‖ domainSeparator ‖
 * hashStruct(message)), or keccak256(0x1901 ‖ domainSeparator) when the
 * primary type is EIP712Domain. `typedData` may come straight from JSON.
 */
export function hashTypedData(typedData: unknown): Uint8Array {
  if (!isRecord(typedData)) fail(`typed data must be an object with "types", "primaryType", "domain" and "message"`)
  const types = validateTypes(typedData.types)
  const primaryType = typedData.primaryType
  if (typeof primaryType !== "string") fail(`"primaryType" must be a string, got ${describe(primaryType)}`)
  const separator = domainSeparator(typedData.domain)
  const out = new Uint8Array(primaryType === "EIP712Domain" ? 34 : 66)
  out[0] = 0x19
  out[1] = 0x01
  out.set(separator, 2)
  if (primaryType !== "EIP712Domain") {
    if (!Object.hasOwn(types, primaryType)) fail(`primaryType "${primaryType}" is not declared in "types"`)
    if (!isRecord(typedData.message)) fail(`"message" must be an object for struct ${primaryType}, got ${describe(typedData.message)}`)
    out.set(hashStructUnchecked(context(types), primaryType, typedData.message, "message"), 34)
  }
  return keccak256(out)
}
