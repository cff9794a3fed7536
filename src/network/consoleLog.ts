/**
 * Solidity console.log (Hardhat's console.sol) decoded into the line Hardhat
 * prints. console.sol sends `abi.encodeWithSignature("log(...)", args)` to a
 * fixed address; the selector names the argument types. The table of
 * selectors is built here from the pattern console.sol follows: `log()`,
 * every combination of uint256/string/bool/address up to four arguments, and
 * single-argument variants for int256, bytes and bytes1..bytes32.
 */
import { format } from "node:util"

import { keccak256 } from "../engine/crypto.js"

export const CONSOLE_ADDRESS = "0x000000000000000000636f6e736f6c652e6c6f67"

type ArgType = "uint256" | "int256" | "string" | "bool" | "address" | "bytes" | `bytes${number}`

let table: Map<number, readonly ArgType[]> | undefined

function selectorOf(signature: string): number {
  const hash = keccak256(new TextEncoder().encode(signature))
  return (((hash[0] as number) << 24) | ((hash[1] as number) << 16) | ((hash[2] as number) << 8) | (hash[3] as number)) >>> 0
}

function signatures(): Map<number, readonly ArgType[]> {
  if (table !== undefined) return table
  const out = new Map<number, readonly ArgType[]>()
  const add = (types: readonly ArgType[]) => out.set(selectorOf(`log(${types.join(",")})`), types)
  const base: readonly ArgType[] = ["uint256", "string", "bool", "address"]
  let combos: ArgType[][] = [[]]
  add([])
  for (let length = 1; length <= 4; length++) {
    combos = combos.flatMap((prefix) => base.map((type) => [...prefix, type]))
    for (const types of combos) add(types)
  }
  add(["int256"])
  add(["bytes"])
  for (let size = 1; size <= 32; size++) add([`bytes${size}`])
  table = out
  return out
}

const WORD = 32

function readWord(data: Uint8Array, at: number): bigint {
  const slice = data.subarray(at, at + WORD)
  let value = 0n
  for (const byte of slice) value = (value << 8n) | BigInt(byte)
  return value << BigInt(8 * (WORD - slice.length))
}

function hex(bytes: Uint8Array): string {
  return `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex")}`
}

function dynamic(data: Uint8Array, position: number): Uint8Array {
  const start = Number(readWord(data, position))
  const length = Number(readWord(data, start))
  return data.subarray(start + WORD, start + WORD + length)
}

function decode(data: Uint8Array, type: ArgType, index: number): string {
  const position = index * WORD
  switch (type) {
    case "uint256":
      return readWord(data, position).toString(10)
    case "int256": {
      const value = readWord(data, position)
      return (value >= 1n << 255n ? value - (1n << 256n) : value).toString(10)
    }
    case "bool":
      return data[position + 31] !== 0 && data[position + 31] !== undefined ? "true" : "false"
    case "string":
      return Buffer.from(dynamic(data, position)).toString("utf8")
    case "address":
      return hex(data.subarray(position + 12, position + WORD))
    case "bytes":
      return hex(dynamic(data, position))
    default:
      return hex(data.subarray(position, position + Number(type.slice(5))))
  }
}

/** The line Hardhat prints for this calldata, or undefined when it is not a console.log call. */
export function formatConsoleLog(calldata: Uint8Array): string | undefined {
  if (calldata.length < 4) return undefined
  const selector = ((calldata[0] as number) << 24 | (calldata[1] as number) << 16 | (calldata[2] as number) << 8 | (calldata[3] as number)) >>> 0
  const types = signatures().get(selector)
  if (types === undefined) return undefined
  const args = calldata.subarray(4)
  let values: string[]
  try {
    values = types.map((type, i) => decode(args, type, i))
  } catch {
    return undefined
  }
  // Numbers may exceed what %d/%i format, so they are printed as strings; %% stays an escape.
  if (values.length > 0) values[0] = (values[0] as string).replace(/((?<!%)(?:%%)*)(%[di])/g, "$1%s")
  return format(...values)
}
