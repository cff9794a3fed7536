/**
 * The analysis report: what the analysis layer hands to the renderers
 * (terminal, JSON, Markdown, HTML, CI checks, baselines). Plain JSON-safe data
 * only: numbers for counts, gas and rates, decimal strings nowhere, hex strings
 * for addresses, slots and selectors (lowercase, 0x-prefixed). Every list is
 * already sorted in the order a renderer should show it (most important first),
 * so renderers need not re-sort. The shape only grows: fields are added, never
 * renamed or removed, and `version` changes only on an incompatible change.
 *
 * Conventions used throughout:
 * - "transaction" means a mined transaction from the run record; a transaction
 *   counts for a contract when the contract's code ran in any of its call
 *   frames (directly or as a callee, e.g. Token via Router).
 * - Conflicts are computed over a contract's whole recorded history taken as
 *   one block in recorded order (see `ContractReport.conflicts`), plus, for
 *   reference, only within the blocks that were actually mined
 *   (`FunctionConflict.sameBlockCount`). A transaction conflicts only with
 *   earlier ones of its own history: tests revert to snapshots (loadFixture),
 *   and what a reverted test wrote is gone for the next one; other sessions
 *   are other chains.
 * - The speedup bound and the measured replay take the transactions of one
 *   chain of blocks, the one with the most of the contract's transactions:
 *   those ran one after another (see `SpeedupBound.transactions`).
 * - Rates and shares are in 0..1.
 */
import type { Hex } from "../engine/types.js"

export const ANALYSIS_REPORT_VERSION = 1

/** The whole analysis of one run record. */
export interface AnalysisReport {
  readonly version: typeof ANALYSIS_REPORT_VERSION
  /** ISO time the report was made. */
  readonly createdAt: string
  /** ISO time of the run record the report was made from. */
  readonly recordCreatedAt: string
  readonly totals: ReportTotals
  /** One entry per contract (artifact) that ran, most gas first. */
  readonly contracts: readonly ContractReport[]
  /** Contracts whose code ran but matched no artifact (shown by address). */
  readonly unknownContracts: readonly UnknownContract[]
  /** Problems met while analysing (an artifact that could not be read, a replay that diverged, ...), for the user to see. */
  readonly warnings: readonly string[]
}

export interface ReportTotals {
  readonly sessions: number
  readonly blocks: number
  /** Blocks the node actually ran with Block-STM (not fallen back). */
  readonly parallelBlocks: number
  readonly transactions: number
  /** Re-executions that the node did while the tests ran (sum over recorded blocks). */
  readonly recordedReExecutions: number
  /** Sum of the transactions' gasUsed. */
  readonly gasUsed: number
  /** Transactions whose code matched no artifact (and plain ETH transfers). */
  readonly unattributedTransactions: number
}

export interface UnknownContract {
  readonly address: Hex
  readonly codeHash?: Hex
  readonly transactions: number
}

/** Everything about one contract (one artifact; all its deployed instances together). */
export interface ContractReport {
  /** The contract's name, e.g. "Token". */
  readonly name: string
  /** Its source path, e.g. "contracts/Token.sol", when known. */
  readonly sourceName?: string
  /** Fully qualified name "contracts/Token.sol:Token", or just the name when there is no source. */
  readonly fullyQualifiedName: string
  /** Every deployed instance seen in the record. */
  readonly addresses: readonly Hex[]
  /** Transactions in which this contract's code ran (as the target or as a callee). */
  readonly transactions: number
  /** Transactions whose own target (`to`) is this contract. */
  readonly directTransactions: number
  /** Of `transactions`, those that only deployed it (left out of conflicts, hot slots, the bound and the replay). */
  readonly deployments: number
  /** Sum of gasUsed of `transactions` (whole transactions, including other contracts they called). */
  readonly gasUsed: number
  /** Functions called, most transactions first. */
  readonly functions: readonly FunctionStats[]
  /** Storage slots of this contract written by at least one transaction, hottest first. */
  readonly hotSlots: readonly HotSlot[]
  /** Slots deliberately left out of the conflict count, with the reason (e.g. a storage reentrancy guard). */
  readonly ignoredSlots: readonly IgnoredSlot[]
  /**
   * Function pairs that conflict: `from` (earlier tx) wrote what `to` (later tx)
   * read or wrote. Computed over this contract's transactions in recorded order,
   * as if they were one block (tests usually mine one tx per block, so the
   * in-block view alone would hide almost everything). Most frequent first.
   */
  readonly conflicts: readonly FunctionConflict[]
  readonly speedupBound: SpeedupBound
  /** Measured by replaying the transactions through the engine; absent when replay was off or impossible. */
  readonly replay?: ReplayResult
  readonly suggestions: readonly Suggestion[]
}

export interface FunctionStats {
  /** e.g. "transfer"; "(fallback)", "(receive)" or "(deploy)" for those; the selector when not in the ABI. */
  readonly name: string
  /** e.g. "transfer(address,uint256)"; same as `name` when unknown. */
  readonly signature: string
  /** 4-byte selector; absent for deploy, receive and fallback without data. */
  readonly selector?: Hex
  /** Transactions that called this function of this contract (at any call depth). */
  readonly transactions: number
  /** Of those, how many reverted. */
  readonly reverted: number
  /** Sum of gasUsed of those transactions. */
  readonly gas: number
  /** Mean gasUsed. */
  readonly meanGas: number
}

/** Why a slot conflicts regardless of inputs (structural) or only when users overlap (data-dependent). */
export type SlotKind = "structural" | "data-dependent"

export interface HotSlot {
  /** The contract instance the slot belongs to. */
  readonly address: Hex
  /** The slot, 0x-prefixed lowercase hex. */
  readonly slot: Hex
  /**
   * The slot as Solidity writes it, e.g. "Token._balances[0x7099…79C8]",
   * "Pool.reserve0", "Nft._owners[42]", "Token._allowances[0x7099…79C8][0x3C44…93BC]";
   * packed variables sharing a slot are joined with " / ". The hex slot when unknown.
   */
  readonly name: string
  /** True when `name` came from the storage layout (false: it is the hex slot). */
  readonly named: boolean
  /** The variables in the slot when several are packed into it (e.g. ["reserve0", "reserve1", "blockTimestampLast"]). */
  readonly packed?: readonly string[]
  /** The Solidity type of the slot's variable (or member/element), when named, e.g. "uint256". */
  readonly type?: string
  /** A remark, e.g. why the slot could not be named, or that its writes were mostly no-ops. */
  readonly note?: string
  readonly kind: SlotKind
  /** Why `kind` was chosen, in words (e.g. "fixed variable", "mapping entry under the same key for 3 different senders"). */
  readonly kindReason: string
  /** Transactions that changed the slot. */
  readonly writers: number
  /** writers / the contract's call transactions (deployments left out; all branches and sessions, so more than `speedupBound.transactions` after snapshot reverts). */
  readonly writeShare: number
  /** Transactions that read the slot. */
  readonly readers: number
  /** Read-after-write conflicts on this slot (a later tx read it after an earlier one wrote it; counted per later tx, from its closest earlier writer). */
  readonly conflicts: number
  /** Write-after-write conflicts on this slot: writers after the first (each against the closest earlier writer). Storage writes always read the slot too, so these are also counted in `conflicts`. */
  readonly writeConflicts: number
  /** Functions of this contract that wrote the slot (signatures), most writes first. */
  readonly functions: readonly string[]
  /** Writes recorded with the old value equal to the new one (the engine normally drops them before they reach the record). */
  readonly noOpWrites?: number
}

export interface IgnoredSlot {
  readonly address: Hex
  readonly slot: Hex
  readonly name: string
  /** e.g. "storage-reentrancy-guard". */
  readonly reason: "storage-reentrancy-guard" | "no-op-write"
  /** In words, for the report: why this slot is not a conflict. */
  readonly explanation: string
  /** Transactions of those functions that read the slot (a few per function were run again to see the set-and-restore; the rest are assumed to do the same). */
  readonly transactions: number
  readonly functions: readonly string[]
}

export type ConflictKind = "read-after-write" | "write-after-write"

/** One ordered function pair that conflicts. */
export interface FunctionConflict {
  /** Signature of the earlier transaction's function, e.g. "mint(address)". */
  readonly from: string
  /** Signature of the later transaction's function. */
  readonly to: string
  readonly kind: ConflictKind
  /** Transactions of `to` that conflicted with an earlier `from` transaction (each later tx counts once per pair and kind). */
  readonly count: number
  /** count / transactions of `to` that came after at least one `from` transaction on their own chain of blocks (not one of a reverted test). */
  readonly rate: number
  /** Of `count`, how many had the earlier transaction in the same mined block. */
  readonly sameBlockCount: number
  /** Names of the slots involved (HotSlot.name), most frequent first. */
  readonly slots: readonly string[]
}

/** Amdahl-style bound for a block made of the contract's transactions. */
export interface SpeedupBound {
  /**
   * Transactions in the synthetic block: the contract's call transactions of
   * one chain of blocks (one session, no reverted branch), the chain with the
   * most of them, in recorded order. All of them when the tests never
   * reverted to a snapshot and ran in one session. Transactions of sibling
   * branches never ran one after the other: taken as independent, they would
   * raise the bound with every test.
   */
  readonly transactions: number
  readonly totalGas: number
  /** Gas on the heaviest path of the read-after-write dependency graph. */
  readonly criticalPathGas: number
  /** totalGas / criticalPathGas (1 when fully serial, = transactions when independent and equal). */
  readonly bound: number
  /** Longest chain of dependent transactions, in transactions. */
  readonly longestChain: number
}

/** A measured replay of the contract's transactions through the engine. */
export interface ReplayResult {
  /**
   * Transactions replayed: of the bound's chain of blocks, the longest run
   * that transactions of other contracts in between did not change state
   * under (the report's warnings say when that is fewer), at most
   * `maxTransactions` (see `capped`).
   */
  readonly transactions: number
  readonly capped: boolean
  readonly workers: number
  readonly sequentialMs: number
  readonly parallelMs: number
  /** sequentialMs / parallelMs. */
  readonly speedup: number
  /** Incarnations - transactions in the parallel run. */
  readonly reExecutions: number
  readonly incarnations: number
  readonly validationAborts: number
  readonly dependencyWaits: number
  /** True when the parallel executor fell back to sequential. */
  readonly fellBack: boolean
  readonly fallbackReason?: string
  /** Transactions whose replayed status or gas differ from the record (replay not faithful for them). */
  readonly divergent: number
  /** Up to a few divergences, described, e.g. "tx 0xab…: reverted in replay, succeeded in the record". */
  readonly divergences: readonly string[]
}

export type SuggestionPattern =
  | "global-counter"
  | "storage-reentrancy-guard"
  | "array-length"
  | "global-accumulator"
  | "total-supply"

export interface Suggestion {
  readonly pattern: SuggestionPattern
  /** HotSlot.name of the slot it is about. */
  readonly slot: string
  /** Functions that write it (signatures). */
  readonly functions: readonly string[]
  /** What was found, in one sentence. */
  readonly message: string
  /** How to fix it, in one or two sentences. */
  readonly fix: string
}
