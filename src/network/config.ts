/**
 * The node's configuration: the fields of a Hardhat `edr-simulated` network
 * that the node honours, as plain resolved values (the plugin layer resolves
 * Hardhat's config variables before creating a node). Defaults are Hardhat's.
 */
import type { Hex } from "../engine/types.js"
import type { AccountsConfig } from "./accounts.js"
import { HARDHAT_DEFAULT_ACCOUNTS } from "./accounts.js"
import type { MempoolOrder } from "./mempool.js"

export interface MiningConfig {
  /** Mine a block for every transaction (default true). */
  readonly auto: boolean
  /** Mine every N ms, or at a random interval in [min, max]; 0 disables it (default). */
  readonly interval: number | readonly [number, number]
  readonly mempoolOrder: MempoolOrder
}

export interface NodeConfig {
  readonly chainId: bigint
  readonly networkId: bigint
  readonly hardfork: string
  readonly accounts: AccountsConfig
  /** undefined: no block gas limit enforced (Hardhat's `blockGasLimit: false`). */
  readonly blockGasLimit: bigint
  readonly transactionGasCap?: bigint
  readonly initialBaseFeePerGas?: bigint
  readonly minGasPrice: bigint
  readonly coinbase: Hex
  readonly mining: MiningConfig
  readonly allowUnlimitedContractSize: boolean
  readonly allowBlocksWithSameTimestamp: boolean
  readonly throwOnTransactionFailures: boolean
  readonly throwOnCallFailures: boolean
  /** What eth_estimateGas calls success: also no inner call out of gas (default, as EDR), or only the transaction's own. */
  readonly gasEstimationMode: "noInternalOutOfGas" | "topLevelSuccess"
  readonly initialDate?: Date
  /** Keep every transaction's access set for the report (default true). */
  readonly recordAccess: boolean
  /** Worker threads for blocks of several transactions (default: the machine's cores). */
  readonly workers?: number
  /** Where Solidity console.log lines go (default: stdout). */
  readonly printLine?: (line: string) => void
  /** Names a custom error from its revert data, e.g. `Custom(7, "0x...")`, using the project's ABIs. */
  readonly describeCustomError?: (data: Hex) => string | undefined
}

export const DEFAULT_COINBASE: Hex = "0xc014ba5ec014ba5ec014ba5ec014ba5ec014ba5e"
export const DEFAULT_BLOCK_GAS_LIMIT = 60_000_000n
export const DEFAULT_HARDFORK = "osaka"
/** EIP-7825's per-transaction gas cap, from Osaka on. */
export const EIP7825_GAS_CAP = 16_777_216n

export function nodeConfig(overrides: Partial<NodeConfig> = {}): NodeConfig {
  return {
    chainId: 31337n,
    networkId: overrides.chainId ?? 31337n,
    hardfork: DEFAULT_HARDFORK,
    accounts: HARDHAT_DEFAULT_ACCOUNTS,
    blockGasLimit: DEFAULT_BLOCK_GAS_LIMIT,
    minGasPrice: 0n,
    coinbase: DEFAULT_COINBASE,
    mining: { auto: true, interval: 0, mempoolOrder: "priority" },
    allowUnlimitedContractSize: false,
    allowBlocksWithSameTimestamp: false,
    throwOnTransactionFailures: true,
    throwOnCallFailures: true,
    gasEstimationMode: "noInternalOutOfGas",
    recordAccess: true,
    ...overrides,
  }
}
