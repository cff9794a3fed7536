/**
 * Which artifact a deployed contract is: its runtime bytecode is compared
 * with each artifact's deployed bytecode, ignoring what differs between
 * deployments of the same source — the CBOR metadata tail (a hash of the
 * sources and settings), immutable values, and linked library addresses.
 * Candidates are indexed by code length without the metadata, so a lookup
 * compares against few artifacts; results are cached per code hash.
 */
import type { Hex } from "../engine/types.js"
import type { CodeReference, ContractArtifact } from "./artifacts.js"
import { hexToBytes } from "./format.js"

/** The length of the code without its CBOR metadata tail (the whole length when there is none). */
export function withoutMetadata(code: Uint8Array): number {
  if (code.length < 2) return code.length
  const cborLength = ((code[code.length - 2] as number) << 8) | (code[code.length - 1] as number)
  const start = code.length - 2 - cborLength
  if (cborLength === 0 || start < 0) return code.length
  // The metadata is a CBOR map (major type 5) of a few entries ("ipfs"/"bzzr1", "solc", "experimental").
  const head = code[start] as number
  return head >= 0xa1 && head <= 0xa5 ? start : code.length
}

interface Candidate {
  readonly artifact: ContractArtifact
  readonly code: Uint8Array
  readonly length: number
  /** Byte ranges to ignore (immutables, library links). */
  readonly masked: readonly CodeReference[]
}

function placeholderRanges(hex: string): CodeReference[] {
  // Unlinked artifacts hold `__$<34 hex>$__` placeholders (20 bytes) where a library address goes.
  const ranges: CodeReference[] = []
  const body = hex.startsWith("0x") ? hex.slice(2) : hex
  for (let i = body.indexOf("__"); i !== -1; i = body.indexOf("__", i + 40)) {
    ranges.push({ start: i / 2, length: 20 })
  }
  return ranges
}

function candidateOf(artifact: ContractArtifact): Candidate | undefined {
  const placeholders = placeholderRanges(artifact.deployedBytecode)
  const hex = artifact.deployedBytecode.replace(/__\$[0-9a-fA-F]{34}\$__/g, "0".repeat(40))
  if (!/^0x[0-9a-fA-F]*$/.test(hex) || hex.length <= 2) return undefined
  const code = hexToBytes(hex)
  const masked: CodeReference[] = [...placeholders]
  for (const refs of Object.values(artifact.immutableReferences ?? {})) masked.push(...refs)
  for (const libraries of Object.values(artifact.linkReferences ?? {})) for (const refs of Object.values(libraries)) masked.push(...refs)
  return { artifact, code, length: withoutMetadata(code), masked }
}

function matches(candidate: Candidate, code: Uint8Array, length: number): boolean {
  if (length !== candidate.length) return false
  const mask = new Uint8Array(length)
  for (const { start, length: size } of candidate.masked) mask.fill(1, start, Math.min(length, start + size))
  for (let i = 0; i < length; i++) {
    if (mask[i] === 0 && code[i] !== candidate.code[i]) return false
  }
  return true
}

export class BytecodeMatcher {
  private readonly byLength = new Map<number, Candidate[]>()
  private readonly cache = new Map<string, ContractArtifact | undefined>()

  constructor(artifacts: readonly ContractArtifact[]) {
    for (const artifact of artifacts) {
      const candidate = candidateOf(artifact)
      if (candidate === undefined) continue
      let list = this.byLength.get(candidate.length)
      if (list === undefined) this.byLength.set(candidate.length, (list = []))
      list.push(candidate)
    }
  }

  /** The artifact whose deployed bytecode this runtime code is, if any. `key` caches (e.g. the code hash). */
  match(runtimeCode: Hex, key: string = runtimeCode): ContractArtifact | undefined {
    if (this.cache.has(key)) return this.cache.get(key)
    const code = hexToBytes(runtimeCode)
    const length = withoutMetadata(code)
    const found = (this.byLength.get(length) ?? []).find((c) => matches(c, code, length))?.artifact
    this.cache.set(key, found)
    return found
  }
}
