/**
 * The figures that the CI checks, the baseline and every renderer share, so
 * that a number printed in the terminal is the number a threshold is compared
 * with. All of them are computed from an `AnalysisReport` alone.
 *
 * - **Conflict rate of a function f** (0..1): the largest `rate` among the
 *   contract's read-after-write pairs whose later transaction calls f
 *   (`FunctionConflict.to === f`). A pair's rate is the share of f's
 *   transactions, among those that came after at least one transaction of the
 *   earlier function, that read a slot whose last writer was such a
 *   transaction: how often f would be re-executed by Block-STM behind that
 *   function. 0 when f is in no such pair.
 * - **Conflict rate of a contract** (0..1): the largest conflict rate of its
 *   functions, i.e. the worst cell of its read-after-write conflict matrix.
 *   Write-after-write pairs are left out: a blind write does not make Block-STM
 *   re-execute (they are still shown, apart).
 * - **Speedup of a contract**: its speedup bound (`speedupBound.bound`), total
 *   gas over the gas on the critical path of the read-after-write dependency
 *   graph; 1 is fully serial.
 * - **Speedup of a function f** (an estimate): the speedup bound of a block
 *   made only of f's n transactions, taking each of them to depend on an
 *   earlier one with f's self-conflict rate r (the rate of the pair f -> f) and
 *   those dependencies to chain, as they do on a shared slot, with equal gas:
 *   n / (1 + r (n - 1)). It is n with no self-conflict and 1 when every call
 *   conflicts with the one before.
 * - **Structural hot slot**: a hot slot of kind "structural" (it conflicts
 *   whatever the inputs) that at least two transactions wrote and on which at
 *   least one read-after-write or write-after-write conflict happened; the
 *   same rule the analysis uses before it suggests a fix. Ignored slots
 *   (reentrancy guards, no-op writes) are never hot.
 */
import type { ContractReport, FunctionConflict, FunctionStats, HotSlot } from "../analysis/types.js"

/** A conflict rate and the pair it comes from (absent when the rate is 0 because no pair conflicts). */
export interface ConflictRateMeasure {
  readonly rate: number
  readonly pair?: FunctionConflict
}

function worst(pairs: readonly FunctionConflict[]): ConflictRateMeasure {
  let found: FunctionConflict | undefined
  for (const pair of pairs) {
    if (pair.kind !== "read-after-write") continue
    if (found === undefined || pair.rate > found.rate || (pair.rate === found.rate && pair.count > found.count)) found = pair
  }
  return found === undefined ? { rate: 0 } : { rate: found.rate, pair: found }
}

/** The contract's conflict rate: its worst read-after-write function pair. */
export function contractConflictRate(contract: ContractReport): ConflictRateMeasure {
  return worst(contract.conflicts)
}

/** The conflict rate of a function (by signature) as the later transaction of a read-after-write pair. */
export function functionConflictRate(contract: ContractReport, signature: string): ConflictRateMeasure {
  return worst(contract.conflicts.filter((pair) => pair.to === signature))
}

/** The read-after-write rate of f after f (0 when the pair is absent). */
export function selfConflictRate(contract: ContractReport, signature: string): number {
  return contract.conflicts.find((pair) => pair.kind === "read-after-write" && pair.from === signature && pair.to === signature)?.rate ?? 0
}

/** n / (1 + r (n - 1)): the estimated speedup bound of a block of only this function's transactions. */
export function functionSpeedupEstimate(contract: ContractReport, fn: FunctionStats): number {
  const n = fn.transactions
  if (n <= 1) return 1
  const r = selfConflictRate(contract, fn.signature)
  return n / (1 + r * (n - 1))
}

export function isStructuralHotSlot(slot: HotSlot): boolean {
  return slot.kind === "structural" && slot.writers >= 2 && slot.conflicts + slot.writeConflicts > 0
}

/** The contract's structural hot slots, in the report's order (hottest first). */
export function structuralHotSlots(contract: ContractReport): readonly HotSlot[] {
  return contract.hotSlots.filter(isStructuralHotSlot)
}

/** The function's name as written before its parameter list ("transfer(address,uint256)" -> "transfer"). */
export function nameOfSignature(signature: string): string {
  const open = signature.indexOf("(")
  return open <= 0 ? signature : signature.slice(0, open)
}

/**
 * How a function shows where space is short: its name, or its signature when
 * the contract has several functions of that name (overloads).
 */
export function shortFunctionLabel(contract: ContractReport, signature: string): string {
  const name = contract.functions.find((f) => f.signature === signature)?.name ?? nameOfSignature(signature)
  const overloads = contract.functions.filter((f) => f.name === name).length
  return overloads > 1 ? signature : name
}
