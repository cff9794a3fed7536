/**
 * The local node as a plain EIP-1193 provider, with Hardhat's JSON-RPC
 * surface. Knows no plugin API: create one with `new PevmProvider(config)`.
 */
export { PevmProvider, type RequestArguments } from "./provider.js"
export { nodeConfig, DEFAULT_BLOCK_GAS_LIMIT, DEFAULT_COINBASE, DEFAULT_HARDFORK, type MiningConfig, type NodeConfig } from "./config.js"
export { HARDHAT_DEFAULT_ACCOUNTS, type AccountsConfig } from "./accounts.js"
export { JsonRpcError, InvalidParamsError, ExecutionError } from "./errors.js"
export {
  RUN_RECORD_VERSION,
  RunRecordError,
  SessionRecorder,
  mergeRunRecords,
  parseRunRecord,
  type RecordedBlock,
  type RecordedBlockEnv,
  type RecordedKey,
  type RecordedRead,
  type RecordedSession,
  type RecordedTransaction,
  type RecordedWrite,
  type RunRecord,
} from "./record.js"
