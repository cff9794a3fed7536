/**
 * Names custom errors in revert messages, as Hardhat's network does
 * ("reverted with custom error 'Name(1, "0x…")'"), from the `error` entries of
 * the project's artifacts. The node asks synchronously, so the ABIs are read
 * once, up front, per Hardhat runtime.
 */
import type { ArtifactManager } from "hardhat/types/artifacts"
import { decodeError } from "micro-eth-signer/abi.js"

import { checksumAddress } from "../analysis/format.js"
import type { Hex } from "../engine/types.js"

type AbiEntry = { readonly type: string; readonly name?: string; readonly inputs?: readonly unknown[] }

export type CustomErrorDescriber = (data: Hex) => string | undefined

type AbiInput = { readonly type?: string; readonly components?: readonly AbiInput[] }

/** A decoded value as Hardhat prints it; addresses in their checksum case, as EDR writes them. */
function formatValue(value: unknown, input?: AbiInput): string {
  if (typeof value === "bigint" || typeof value === "number" || typeof value === "boolean") return String(value)
  if (typeof value === "string") return JSON.stringify(input?.type === "address" && /^0x[0-9a-fA-F]{40}$/.test(value) ? checksumAddress(value as Hex) : value)
  if (value instanceof Uint8Array) return JSON.stringify(`0x${Buffer.from(value).toString("hex")}`)
  const element = input?.type?.endsWith("]") === true ? { ...input, type: input.type.replace(/\[\d*\]$/, "") } : undefined
  if (Array.isArray(value)) return `[${value.map((v, i) => formatValue(v, element ?? input?.components?.[i])).join(", ")}]`
  if (typeof value === "object" && value !== null) return `[${Object.values(value).map((v, i) => formatValue(v, input?.components?.[i])).join(", ")}]`
  return String(value)
}

function formatArgs(inputs: readonly AbiInput[], args: unknown): string {
  if (inputs.length === 0) return ""
  if (inputs.length === 1) return formatValue(args, inputs[0])
  const values = Array.isArray(args) ? args : typeof args === "object" && args !== null ? Object.values(args) : [args]
  return values.map((v, i) => formatValue(v, inputs[i])).join(", ")
}

/** Reads every artifact's custom errors and returns a describer for revert data. */
export async function customErrorDescriber(artifacts: ArtifactManager): Promise<CustomErrorDescriber> {
  const errors = new Map<string, AbiEntry>()
  let names: ReadonlySet<string>
  try {
    names = await artifacts.getAllFullyQualifiedNames()
  } catch {
    return () => undefined
  }
  for (const name of names) {
    const artifact = await artifacts.readArtifact(name).catch(() => undefined)
    for (const entry of (artifact?.abi ?? []) as AbiEntry[]) {
      if (entry.type === "error" && entry.name !== undefined) errors.set(JSON.stringify(entry), entry)
    }
  }
  const abi = [...errors.values()]
  if (abi.length === 0) return () => undefined
  return (data) => {
    try {
      const decoded = decodeError(data, abi as never)
      if (decoded === undefined || decoded.name === "Error" || decoded.name === "Panic") return undefined
      const entry = abi.find((e) => e.name === decoded.name)
      return `${decoded.name}(${formatArgs((entry?.inputs ?? []) as AbiInput[], decoded.args)})`
    } catch {
      return undefined
    }
  }
}
