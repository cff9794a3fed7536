/**
 * Public types of the block engine. Addresses, slots and hashes are lowercase
 * 0x-prefixed hex strings; amounts and other words are bigints. Everything here
 * is plain data, so it can cross a worker boundary by structured clone.
 */

export type Hex = `0x${string}`

/** The fields of an account that transactions read and write one by one. */
export type AccountField = "exists" | "nonce" | "balance" | "code" | "storageEpoch"

/**
 * One unit of state. `storageEpoch` is bumped when an account's storage is
 * wiped (CREATE over an old address, SELFDESTRUCT), so that a wipe conflicts
 * with every read of that account's storage without listing its slots.
 */
export type StateKey =
  | { readonly address: Hex; readonly field: AccountField }
  | { readonly address: Hex; readonly slot: Hex }

export interface AccessRead {
  readonly key: StateKey
  /** The value the transaction saw (code is its keccak hash, 0n when empty). */
  readonly value: bigint
}

export interface AccessWrite {
  readonly key: StateKey
  readonly old: bigint
  readonly new: bigint
  /**
   * Set when the write was a commutative credit (the coinbase fee, a plain ETH
   * credit) that never read the balance it added to.
   */
  readonly delta?: bigint
}

/** What one transaction read and wrote, at field level, in block order. */
export interface AccessSet {
  readonly reads: readonly AccessRead[]
  readonly writes: readonly AccessWrite[]
}

export interface Log {
  readonly address: Hex
  readonly topics: readonly Hex[]
  readonly data: Hex
}

export interface Receipt {
  /** EIP-2718 type of the transaction (0 for legacy). */
  readonly type: number
  /** 1 or 0 from Byzantium on; undefined before, where `stateRoot` is used. */
  readonly status?: 0 | 1
  /** Intermediate state root: pre-Byzantium receipts only, and only when it could be computed. */
  readonly stateRoot?: Hex
  readonly cumulativeGasUsed: bigint
  readonly logsBloom: Hex
  readonly logs: readonly Log[]
}

/** One message (call or create) a transaction made, in execution order. */
export interface CallFrame {
  /** 0 for the transaction's own call. */
  readonly depth: number
  readonly kind: "call" | "delegatecall" | "staticcall" | "create"
  /** The account whose storage the frame uses (the created address for a create that succeeded). */
  readonly address?: Hex
  /** The account whose code runs (differs from `address` under DELEGATECALL). */
  readonly codeAddress?: Hex
  /** First 4 bytes of the calldata, when there are at least 4. */
  readonly selector?: Hex
}

/** What `trace: true` adds to a transaction: who called whom, and the inputs of KECCAK256 that look like slot derivations. */
export interface TxTrace {
  readonly calls: readonly CallFrame[]
  /** Inputs of 32 or 64 bytes (array bases, mapping keys); their hashes name storage slots. */
  readonly preimages: readonly Hex[]
}

export interface TxResult {
  readonly index: number
  readonly hash: Hex
  readonly sender: Hex
  /** False when the transaction was invalid for this block and left out (see `invalidTransactions`). */
  readonly included: boolean
  /** Why the transaction could not be included, when `included` is false. */
  readonly invalidReason?: string
  readonly receipt: Receipt
  /** Gas paid by the sender (after refunds). */
  readonly gasUsed: bigint
  /** Gas counted against the block (differs from `gasUsed` only under EIP-7778). */
  readonly blockGasUsed: bigint
  readonly returnValue: Hex
  /** The EVM exception, e.g. "revert" or "out of gas"; undefined on success. */
  readonly error?: string
  readonly createdAddress?: Hex
  readonly blobGasUsed?: bigint
  /** Calldata of each call to console.sol's address (0x...636f6e736f6c652e6c6f67), in order. */
  readonly consoleLogs?: readonly Hex[]
  readonly access: AccessSet
  /** Present when `trace: true` was asked for. */
  readonly trace?: TxTrace
}

export interface AccountChange {
  readonly address: Hex
  /** True when the account no longer exists after the block. */
  readonly deleted: boolean
  readonly nonce?: bigint
  readonly balance?: bigint
  /** keccak of the new code; the bytes are in `code`. */
  readonly codeHash?: Hex
  readonly code?: Hex
  /** Storage was wiped before `storage` was applied. */
  readonly storageCleared: boolean
  /** Slot -> new value (0n deletes the slot). */
  readonly storage: ReadonlyMap<Hex, bigint>
}

/** The post-state as a diff over the pre-state. */
export type StateDiff = ReadonlyMap<Hex, AccountChange>

export interface ExecutionStats {
  readonly mode: "sequential" | "parallel"
  /** Mode asked for; differs from `mode` when the block fell back. */
  readonly requestedMode: "sequential" | "parallel"
  readonly workers: number
  readonly transactions: number
  /** Executions started, including the final one of each transaction. */
  readonly incarnations: number
  /** incarnations - transactions: the work Block-STM threw away. */
  readonly reExecutions: number
  /** Validations that found a stale read and aborted a transaction. */
  readonly validationAborts: number
  /** Executions that waited for a lower transaction: stopped on an ESTIMATE, or held behind a known dependency. */
  readonly dependencyWaits: number
  readonly fellBack: boolean
  readonly fallbackReason?: string
  readonly wallMs: number
}

export interface BlockResult {
  readonly transactions: readonly TxResult[]
  readonly gasUsed: bigint
  /** Undefined only before Byzantium when intermediate state roots were not computed. */
  readonly receiptsRoot?: Hex
  readonly logsBloom: Hex
  readonly stateDiff: StateDiff
  /** Present when `stateRoot: true` was asked for. */
  readonly stateRoot?: Hex
  /** EIP-7685 requests hash (Prague and later). */
  readonly requestsHash?: Hex
  readonly requests?: readonly Hex[]
  readonly stats: ExecutionStats
}

export interface Withdrawal {
  readonly index: bigint
  readonly validatorIndex: bigint
  readonly address: Hex
  /** In gwei, as in the header. */
  readonly amount: bigint
}

export interface Ommer {
  readonly number: bigint
  readonly coinbase: Hex
}

export interface BlockHeaderInput {
  readonly number: bigint
  readonly timestamp: bigint
  readonly coinbase: Hex
  readonly gasLimit: bigint
  readonly baseFeePerGas?: bigint
  readonly difficulty?: bigint
  /** mixHash before the merge, prevRandao after. */
  readonly mixHash?: Hex
  readonly parentHash?: Hex
  readonly parentBeaconBlockRoot?: Hex
  readonly excessBlobGas?: bigint
  readonly blobGasUsed?: bigint
  readonly extraData?: Hex
}

export interface TxInput {
  /** The canonical encoding: RLP for legacy, type byte + RLP for typed transactions. */
  readonly raw: Uint8Array
  /** The sender when already known (saves signature recovery). */
  readonly sender?: Hex
  /**
   * The recipient when the transaction sends value, if known. With `sender`,
   * it lets the parallel executor order dependent transactions before running them.
   */
  readonly payee?: Hex
}

export interface BlockInput {
  readonly header: BlockHeaderInput
  readonly transactions: readonly TxInput[]
  readonly withdrawals?: readonly Withdrawal[]
  readonly ommers?: readonly Ommer[]
  /** Hashes of earlier blocks, for BLOCKHASH (number -> hash). */
  readonly blockHashes?: ReadonlyMap<bigint, Hex>
}

/** The chain a block belongs to. */
export interface ChainConfig {
  readonly chainId: bigint
  /**
   * A fixed hardfork name ("prague", "cancun", ...), or "mainnet" to follow
   * Ethereum mainnet's schedule by block number and timestamp.
   */
  readonly hardfork: string
  readonly allowUnlimitedContractSize?: boolean
  /**
   * Let an address with code send transactions, skipping EIP-3607's check, as
   * Hardhat's networks do so that tests can impersonate contracts. Never set
   * for real chains.
   */
  readonly allowSendersWithCode?: boolean
}

export interface ExecuteOptions {
  readonly mode: "sequential" | "parallel"
  /** Worker threads for parallel mode. Defaults to the number of cores. */
  readonly workers?: number
  readonly chain?: ChainConfig
  /** Compute the exact post-state root (needs the full pre-state). */
  readonly stateRoot?: boolean
  /** Record per-transaction access sets (default true). */
  readonly recordAccess?: boolean
  /** Record each transaction's call frames and slot-hash preimages (default false; costs a little). */
  readonly trace?: boolean
  /**
   * What to do with a transaction that is invalid on its own terms (bad nonce,
   * unaffordable, a gas limit above the block's): "throw" (the block is
   * invalid, default) or "exclude" (leave it out and go on, as a node building
   * a block does). A transaction that needs more gas than the block has *left*
   * always makes the block invalid: whoever builds the block must pick
   * transactions whose gas limits fit.
   */
  readonly invalidTransactions?: "throw" | "exclude"
  /** Run blocks this small sequentially even in parallel mode (default: 2 x workers). */
  readonly minParallelTransactions?: number
  /** Run blocks with less gas than this sequentially (default 0: count only). */
  readonly minParallelGas?: bigint
}
