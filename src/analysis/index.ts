/**
 * The analysis layer: reads a run record and the project's compiled
 * contracts and reports, per contract, which functions conflict on which
 * slots, how far a block of its transactions could run in parallel, what a
 * measured replay through the engine gives, and what to change. Imports
 * nothing from Hardhat; the report types are in `types.ts`.
 */
export { analyzeRun, type AnalyzeOptions } from "./analyze.js"
export {
  ArtifactsError,
  artifactsFromSolcOutput,
  loadArtifacts,
  namespacesIn,
  type CodeReference,
  type ContractArtifact,
  type LoadedArtifacts,
  type SolcOutput,
  type SolcSources,
  type StorageLayout,
  type StorageLayoutEntry,
  type StorageLayoutType,
  type StorageNamespace,
} from "./artifacts.js"
export type { AbiItem, AbiParameter } from "./abi.js"
export { BytecodeMatcher } from "./bytecode.js"
export { checksumAddress, shortAddress } from "./format.js"
export { erc7201Slot } from "./namespaces.js"
export { RawTransactionError } from "./rawTx.js"
export { ReplayError, replayTransactions, type ProgressCallback, type ReplayOptions } from "./replay.js"
export { PreimageIndex, SlotNamer, type SlotLeaf, type SlotName } from "./slotNames.js"
export * from "./types.js"
