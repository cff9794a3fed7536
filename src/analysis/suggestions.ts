/**
 * What to change, one suggestion per pattern found, each naming the slot and
 * the functions that write it: a global counter (shard it or emit events), a
 * total supply written on every transfer, an array whose length slot every
 * push writes, a global accumulator or last-updated timestamp (every caller
 * conflicts on it), and a storage reentrancy guard (harmless for conflicts,
 * but a transient guard is cheaper). Only structural slots that a real share
 * of the contract's transactions write, and that made transactions conflict,
 * get a suggestion; guards come from the ignored slots.
 */
import type { SlotDetail } from "./hotSlots.js"
import type { IgnoredSlot, Suggestion } from "./types.js"

export interface SuggestionOptions {
  /** Suggest only for slots written by at least this share of the contract's transactions (default 0.2). */
  readonly minWriteShare?: number
}

const percent = (share: number): string => `${Math.round(share * 100)}%`
const list = (functions: readonly string[]): string => (functions.length <= 3 ? functions.join(", ") : `${functions.slice(0, 3).join(", ")} and ${functions.length - 3} more`)
/** The variable or member name at the end of a path, without keys: "positions[0x…].totalSupply" -> "totalSupply". */
const lastSegment = (path: string): string => path.replace(/\[[^\]]*\]/g, "").split(".").at(-1) ?? path

export function suggestionsFor(details: readonly SlotDetail[], ignored: readonly IgnoredSlot[], options: SuggestionOptions = {}): Suggestion[] {
  const minShare = options.minWriteShare ?? 0.2
  const found: Suggestion[] = []
  for (const { slot, changed } of details) {
    if (slot.kind !== "structural" || slot.writers < 2 || slot.writeShare < minShare || slot.conflicts + slot.writeConflicts === 0) continue
    const fns = slot.functions
    const share = `${slot.writers} transactions (${percent(slot.writeShare)} of the contract's)`
    const base = { slot: slot.name, functions: fns }
    const array = changed.find((c) => c.leaf.type.endsWith("[]"))
    const supply = changed.find((c) => /supply/i.test(lastSegment(c.leaf.path)))
    const counter = changed.find((c) => c.changes > 0 && c.steps >= 0.8 * c.changes)
    const timestamp = changed.find((c) => c.changes > 0 && c.timestamps >= 0.5 * c.changes)
    if (array !== undefined) {
      found.push({
        ...base,
        pattern: "array-length",
        message: `${slot.name} is a dynamic array: every push by ${list(fns)} writes its length slot, so ${share} conflict on it.`,
        fix: "Store the entries in a mapping keyed by the caller (or by an id derived from the caller), or emit an event instead of pushing to a shared array.",
      })
    } else if (supply !== undefined) {
      found.push({
        ...base,
        pattern: "total-supply",
        message: `${slot.name} is written by ${list(fns)} in ${share}: a supply that changes on every transfer makes all transfers conflict.`,
        fix: "Leave the total supply alone in transfers: take fees as a transfer to a fee account instead of burning or minting, or track the figure off-chain from Transfer events.",
      })
    } else if (counter !== undefined && timestamp === undefined) {
      found.push({
        ...base,
        pattern: "global-counter",
        message: `${slot.name} is a global counter: ${list(fns)} increment it in ${share}, so each waits for the one before.`,
        fix: "Shard the counter (per caller, or ids derived from the caller and a per-caller nonce), or drop it and count off-chain from events.",
      })
    } else {
      found.push({
        ...base,
        pattern: "global-accumulator",
        message:
          timestamp !== undefined
            ? `${slot.name} is a last-updated timestamp that ${list(fns)} write in ${share}: every caller conflicts on it.`
            : `${slot.name} is a global accumulator that ${list(fns)} update in ${share}: every caller conflicts on it.`,
        fix:
          timestamp !== undefined
            ? "Keep the timestamp per account, or write it only when it changes something callers need; read block.timestamp where it is used."
            : "Accumulate per account or per shard and sum when read, or compute it off-chain from events; where the logic needs it (an AMM's reserves), spread the load over several instances.",
      })
    }
  }
  for (const slot of ignored) {
    if (slot.reason !== "storage-reentrancy-guard") continue
    found.push({
      pattern: "storage-reentrancy-guard",
      slot: slot.name,
      functions: slot.functions,
      message: `${slot.name} is a storage reentrancy guard in ${list(slot.functions)}: it is set and restored in each call, so it does not make calls conflict, but each call pays for two SSTOREs.`,
      fix: "Use a transient guard (EIP-1153): OpenZeppelin's ReentrancyGuardTransient, or a `bool transient locked` in Solidity 0.8.28 or later.",
    })
  }
  return found
}
