/**
 * The compiled contracts the analysis matches transactions against. A
 * `ContractArtifact` is what the analysis needs of one contract: its ABI, its
 * deployed bytecode with the positions of immutables and library links (which
 * differ per deployment and are ignored when matching), and solc's storage
 * layout (to name slots). `loadArtifacts` reads a Hardhat 3 artifacts folder
 * with plain fs (artifacts/<source>/<Name>.json, and build-info/<id>.output.json
 * for the storage layouts, which the plugin turns on); Hardhat 2 folders
 * (`.dbg.json` pointing at a combined build info) are read too.
 * `artifactsFromSolcOutput` builds the same from solc's standard JSON output.
 * Both also collect ERC-7201 namespaces (`@custom:storage-location erc7201:id`)
 * from the sources, so that namespaced slots get a name.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs"
import { basename, join, relative } from "node:path"

import type { Hex } from "../engine/types.js"
import type { AbiItem } from "./abi.js"
import { erc7201Slot } from "./namespaces.js"

export interface StorageLayoutEntry {
  readonly label: string
  /** Byte offset inside the slot (packed variables). */
  readonly offset: number
  /** Decimal slot number. */
  readonly slot: string
  /** Key into `StorageLayout.types`. */
  readonly type: string
  readonly contract?: string
  readonly astId?: number
}

export interface StorageLayoutType {
  readonly encoding: "inplace" | "mapping" | "dynamic_array" | "bytes"
  readonly label: string
  readonly numberOfBytes: string
  /** Mappings: the key and value types. */
  readonly key?: string
  readonly value?: string
  /** Arrays: the element type. */
  readonly base?: string
  /** Structs: the members, with slots relative to the struct's first slot. */
  readonly members?: readonly StorageLayoutEntry[]
}

/** solc's `storageLayout` output. */
export interface StorageLayout {
  readonly storage: readonly StorageLayoutEntry[]
  readonly types: Readonly<Record<string, StorageLayoutType>> | null
}

export interface CodeReference {
  readonly start: number
  readonly length: number
}

/** An ERC-7201 storage namespace: its id and the slot it starts at. */
export interface StorageNamespace {
  readonly id: string
  readonly slot: Hex
}

/** What the analysis needs of one compiled contract. */
export interface ContractArtifact {
  readonly name: string
  /** The source path as the user knows it, e.g. "contracts/Token.sol". */
  readonly sourceName?: string
  readonly abi: readonly AbiItem[]
  /** Runtime bytecode, 0x-hex; may hold `__$…$__` library placeholders. */
  readonly deployedBytecode: Hex
  /** solc's evm.deployedBytecode.immutableReferences: AST id -> byte ranges. */
  readonly immutableReferences?: Readonly<Record<string, readonly CodeReference[]>>
  /** solc's evm.deployedBytecode.linkReferences: source -> library -> byte ranges. */
  readonly linkReferences?: Readonly<Record<string, Readonly<Record<string, readonly CodeReference[]>>>>
  readonly storageLayout?: StorageLayout
  /** ERC-7201 namespaces declared in the sources it was compiled with. */
  readonly namespaces?: readonly StorageNamespace[]
}

export class ArtifactsError extends Error {
  override readonly name = "ArtifactsError"
}

interface SolcContractOutput {
  readonly abi?: readonly AbiItem[]
  readonly storageLayout?: StorageLayout
  readonly evm?: {
    readonly deployedBytecode?: {
      readonly object?: string
      readonly immutableReferences?: Record<string, readonly CodeReference[]>
      readonly linkReferences?: Record<string, Record<string, readonly CodeReference[]>>
    }
  }
}

/** solc standard JSON output (the parts read here). */
export interface SolcOutput {
  readonly contracts?: Readonly<Record<string, Readonly<Record<string, SolcContractOutput>>>>
}

/** solc standard JSON input sources (only `content` is read). */
export type SolcSources = Readonly<Record<string, { readonly content?: string }>>

const NAMESPACE_ANNOTATION = /@custom:storage-location\s+erc7201:([A-Za-z0-9_.\-]+)/g

/** ERC-7201 namespaces annotated in the given sources. */
export function namespacesIn(sources: SolcSources | undefined): StorageNamespace[] {
  const ids = new Set<string>()
  for (const source of Object.values(sources ?? {})) {
    for (const match of (source.content ?? "").matchAll(NAMESPACE_ANNOTATION)) ids.add(match[1] as string)
  }
  return [...ids].sort().map((id) => ({ id, slot: erc7201Slot(id) }))
}

function hexOf(object: string | undefined): Hex {
  if (object === undefined || object === "") return "0x"
  return (object.startsWith("0x") ? object : `0x${object}`) as Hex
}

/**
 * Every contract with runtime code in a solc standard JSON output. `sources`
 * (the input's sources) adds the ERC-7201 namespaces; `sourceName` maps solc's
 * source names to the user's (Hardhat 3 prefixes them with "project/").
 */
export function artifactsFromSolcOutput(
  output: SolcOutput,
  options: { readonly sources?: SolcSources; readonly sourceName?: (solcSourceName: string) => string } = {},
): ContractArtifact[] {
  const namespaces = namespacesIn(options.sources)
  const result: ContractArtifact[] = []
  for (const [source, contracts] of Object.entries(output.contracts ?? {})) {
    for (const [name, contract] of Object.entries(contracts)) {
      const deployedBytecode = hexOf(contract.evm?.deployedBytecode?.object)
      if (deployedBytecode === "0x") continue
      result.push({
        name,
        sourceName: options.sourceName?.(source) ?? source,
        abi: contract.abi ?? [],
        deployedBytecode,
        ...(contract.evm?.deployedBytecode?.immutableReferences !== undefined ? { immutableReferences: contract.evm.deployedBytecode.immutableReferences } : {}),
        ...(contract.evm?.deployedBytecode?.linkReferences !== undefined ? { linkReferences: contract.evm.deployedBytecode.linkReferences } : {}),
        ...(contract.storageLayout !== undefined ? { storageLayout: contract.storageLayout } : {}),
        ...(namespaces.length > 0 ? { namespaces } : {}),
      })
    }
  }
  return result
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as unknown
  } catch (error) {
    throw new ArtifactsError(`cannot read ${path}: ${(error as Error).message}`)
  }
}

function jsonFiles(dir: string, skip: string): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      if (path !== skip) found.push(...jsonFiles(path, skip))
    } else if (entry.isFile() && entry.name.endsWith(".json") && !entry.name.endsWith(".dbg.json")) {
      found.push(path)
    }
  }
  return found.sort()
}

interface HardhatArtifact {
  readonly _format?: string
  readonly contractName?: string
  readonly sourceName?: string
  readonly inputSourceName?: string
  readonly abi?: readonly AbiItem[]
  readonly deployedBytecode?: string
  readonly immutableReferences?: Record<string, readonly CodeReference[]>
  readonly deployedLinkReferences?: Record<string, Record<string, readonly CodeReference[]>>
  readonly buildInfoId?: string
}

interface BuildInfo {
  readonly output?: SolcOutput
  readonly input?: { readonly sources?: SolcSources }
}

export interface LoadedArtifacts {
  readonly contracts: ContractArtifact[]
  /** Things that were skipped or missing, e.g. a build info without storage layouts. */
  readonly warnings: string[]
}

/**
 * Reads every contract artifact under a Hardhat artifacts folder (Hardhat 3's
 * `hh3-artifact-1` format, or Hardhat 2's `hh-sol-artifact-1`), with the storage
 * layout and namespaces from its build info. Contracts without runtime code
 * (interfaces, abstract contracts) are left out.
 */
export function loadArtifacts(artifactsDir: string): LoadedArtifacts {
  if (!existsSync(artifactsDir) || !statSync(artifactsDir).isDirectory()) {
    throw new ArtifactsError(`no artifacts folder at ${artifactsDir} (run \`npx hardhat build\` first)`)
  }
  const buildInfoDir = join(artifactsDir, "build-info")
  const buildInfos = new Map<string, BuildInfo | undefined>()
  const warnings: string[] = []
  const buildInfo = (key: string, load: () => BuildInfo | undefined): BuildInfo | undefined => {
    if (!buildInfos.has(key)) buildInfos.set(key, load())
    return buildInfos.get(key)
  }
  const contracts: ContractArtifact[] = []
  for (const path of jsonFiles(artifactsDir, buildInfoDir)) {
    const artifact = readJson(path) as HardhatArtifact
    if (typeof artifact !== "object" || artifact === null || typeof artifact._format !== "string") continue
    if (!artifact._format.startsWith("hh3-artifact") && !artifact._format.startsWith("hh-sol-artifact")) continue
    const name = artifact.contractName ?? basename(path, ".json")
    const deployedBytecode = hexOf(artifact.deployedBytecode)
    if (deployedBytecode === "0x") continue
    let info: BuildInfo | undefined
    let solcSource = artifact.inputSourceName ?? artifact.sourceName ?? ""
    if (artifact.buildInfoId !== undefined) {
      const id = artifact.buildInfoId
      const output = join(buildInfoDir, `${id}.output.json`)
      const input = join(buildInfoDir, `${id}.json`)
      info = buildInfo(id, () => {
        if (!existsSync(output)) return undefined
        const out = readJson(output) as { output?: SolcOutput }
        const inp = existsSync(input) ? (readJson(input) as BuildInfo) : undefined
        return { ...(out.output !== undefined ? { output: out.output } : {}), ...(inp?.input !== undefined ? { input: inp.input } : {}) }
      })
      if (info === undefined) warnings.push(`${relative(artifactsDir, path)}: build info ${id} not found; its slots stay unnamed`)
    } else {
      const dbg = path.replace(/\.json$/, ".dbg.json")
      if (existsSync(dbg)) {
        const pointer = (readJson(dbg) as { buildInfo?: string }).buildInfo
        if (pointer !== undefined) {
          const file = join(dbg, "..", pointer)
          info = buildInfo(file, () => (existsSync(file) ? (readJson(file) as BuildInfo) : undefined))
        }
      }
      solcSource = artifact.sourceName ?? solcSource
    }
    const compiled = info?.output?.contracts?.[solcSource]?.[name]
    const storageLayout = compiled?.storageLayout
    if (info !== undefined && storageLayout === undefined) {
      warnings.push(`${artifact.sourceName ?? solcSource}:${name}: no storageLayout in its build info (is the hardhat-pevm plugin loaded?); its slots stay unnamed`)
    }
    const namespaces = info !== undefined ? namespacesOfBuild(info) : []
    contracts.push({
      name,
      ...(artifact.sourceName !== undefined ? { sourceName: artifact.sourceName } : {}),
      abi: artifact.abi ?? [],
      deployedBytecode,
      ...(artifact.immutableReferences !== undefined ? { immutableReferences: artifact.immutableReferences } : {}),
      ...(artifact.deployedLinkReferences !== undefined ? { linkReferences: artifact.deployedLinkReferences } : {}),
      ...(storageLayout !== undefined ? { storageLayout } : {}),
      ...(namespaces.length > 0 ? { namespaces } : {}),
    })
  }
  return { contracts, warnings }
}

const namespaceCache = new WeakMap<BuildInfo, StorageNamespace[]>()

function namespacesOfBuild(info: BuildInfo): StorageNamespace[] {
  let namespaces = namespaceCache.get(info)
  if (namespaces === undefined) {
    namespaces = namespacesIn(info.input?.sources)
    namespaceCache.set(info, namespaces)
  }
  return namespaces
}
