/**
 * Function names from an ABI: the canonical signature of each function
 * (tuples expanded, as the selector hashes them) and its 4-byte selector, so
 * that a call frame's selector can be shown as `transfer(address,uint256)`.
 * Also the display names of calls that hit no function: "(receive)",
 * "(fallback)", "(deploy)", or the bare selector when the ABI does not have it.
 */
import type { Hex } from "../engine/types.js"
import { keccakText } from "./format.js"

export interface AbiParameter {
  readonly type: string
  readonly name?: string
  readonly components?: readonly AbiParameter[]
}

export interface AbiItem {
  readonly type: string
  readonly name?: string
  readonly inputs?: readonly AbiParameter[]
  readonly outputs?: readonly AbiParameter[]
  readonly stateMutability?: string
}

export interface AbiFunction {
  readonly name: string
  readonly signature: string
  /** Absent for receive, fallback without calldata and deployments. */
  readonly selector?: Hex
}

export const DEPLOY = "(deploy)"
export const RECEIVE = "(receive)"
export const FALLBACK = "(fallback)"

function canonicalType(param: AbiParameter): string {
  if (param.type.startsWith("tuple")) {
    const inner = (param.components ?? []).map(canonicalType).join(",")
    return `(${inner})${param.type.slice("tuple".length)}`
  }
  return param.type
}

export function signatureOf(name: string, inputs: readonly AbiParameter[] = []): string {
  return `${name}(${inputs.map(canonicalType).join(",")})`
}

export function selectorOf(signature: string): Hex {
  return keccakText(signature).slice(0, 10) as Hex
}

/** The ABI's functions by selector, plus whether it has receive/fallback. */
export class FunctionTable {
  private readonly bySelector = new Map<Hex, AbiFunction>()
  readonly hasReceive: boolean
  readonly hasFallback: boolean

  constructor(abi: readonly AbiItem[]) {
    for (const item of abi) {
      if (item.type !== "function" || item.name === undefined) continue
      const signature = signatureOf(item.name, item.inputs)
      const selector = selectorOf(signature)
      this.bySelector.set(selector, { name: item.name, signature, selector })
    }
    this.hasReceive = abi.some((item) => item.type === "receive")
    this.hasFallback = abi.some((item) => item.type === "fallback")
  }

  /** The function a call with this selector (undefined: no calldata) lands in. */
  lookup(selector: Hex | undefined): AbiFunction {
    if (selector === undefined) {
      const name = this.hasReceive || !this.hasFallback ? RECEIVE : FALLBACK
      return { name, signature: name }
    }
    const known = this.bySelector.get(selector.toLowerCase() as Hex)
    if (known !== undefined) return known
    if (this.hasFallback) return { name: FALLBACK, signature: FALLBACK, selector }
    return { name: selector, signature: selector, selector }
  }
}
