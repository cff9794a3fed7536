/**
 * Hot slots of one contract: the storage slots its transactions changed,
 * named (`SlotNamer`), counted (writers, share of the contract's transactions,
 * readers, read-after-write and write-after-write conflicts) and classified.
 * A slot is *structural* when it conflicts whatever the inputs: a fixed
 * variable, or a mapping entry under the same key in transactions whose
 * sender and arguments do not contain that key, from two senders or more (a
 * fee recipient, the pool in `_balances[pool]`). It is *data-dependent* when
 * at least half of the transactions that wrote it took the key from their
 * sender or arguments (`_balances[msg.sender]`, `_balances[to]`, `_owners[id]`
 * of a transfer), or when one sender wrote it: those conflict only when users overlap, which tests that
 * reuse a few accounts overstate. Slots in several sessions at the same
 * address and slot are reported together. Also the slots that transactions
 * set and restored (`guards.ts`), which are ignored with the reason.
 */
import type { Hex } from "../engine/types.js"
import type { RunRecord } from "../network/record.js"
import type { AttributedTx } from "./attribution.js"
import type { ConflictAnalysis, KeyStats } from "./conflicts.js"
import type { RestoredSlot } from "./guards.js"
import { addressOfWord, shortAddress } from "./format.js"
import { argumentWords, decodeRaw } from "./rawTx.js"
import type { SlotLeaf, SlotName, SlotNamer } from "./slotNames.js"
import type { HotSlot, IgnoredSlot, SlotKind } from "./types.js"

/** Per changed variable of a slot: how its values moved. */
export interface LeafChanges {
  readonly leaf: SlotLeaf
  readonly changes: number
  /** Changes by a small whole step (at most MAX_COUNTER_STEP either way), as a counter moves. */
  readonly steps: number
  /** Changes whose new value is the block's timestamp. */
  readonly timestamps: number
}

/** A hot slot with what the suggestions need to know about it. */
export interface SlotDetail {
  readonly slot: HotSlot
  readonly name: SlotName
  /** The variables whose bytes changed (all of them when unknown). */
  readonly changed: readonly LeafChanges[]
}

const rank = (a: HotSlot, b: HotSlot): number => b.writers - a.writers || b.conflicts - a.conflicts || a.name.localeCompare(b.name)

/** A counter moves by small whole steps: one id, or a few at once (a mint of 3 tokens). Amounts move by more. */
const MAX_COUNTER_STEP = 16n

export function slotDisplayName(contract: string, slot: Hex, name: SlotName, leaves: readonly SlotLeaf[] = name.leaves): string {
  if (leaves.length === 0) return `${contract}:0x${BigInt(slot).toString(16)}`
  return leaves.map((leaf) => `${contract}.${leaf.path}`).join(" / ")
}

function leafValue(word: bigint, leaf: SlotLeaf): bigint {
  if (leaf.bytes >= 32) return word
  return (word >> BigInt(leaf.byteOffset * 8)) & ((1n << BigInt(leaf.bytes * 8)) - 1n)
}

/**
 * Structural or data-dependent. A fixed variable is structural. A mapping or
 * array entry is judged by the transactions that conflicted on it (those that
 * came after another's write on the same chain): keyed by their sender or an
 * argument, the conflict came from the test's choice of accounts or ids. An
 * entry that was written several times but never on one chain (each test
 * after a snapshot revert mints token 0 again) conflicts with nothing.
 */
function classify(name: SlotName, allWriters: readonly AttributedTx[], conflicted: readonly AttributedTx[]): { kind: SlotKind; reason: string } {
  if (name.root === "fixed" || name.root === "known") {
    return { kind: "structural", reason: "a fixed variable: every transaction that writes it writes the same slot, whatever its inputs" }
  }
  if (conflicted.length === 0 && allWriters.length >= 2) {
    return {
      kind: "data-dependent",
      reason: `written by ${allWriters.length} transactions, none after another on the same chain (they ran on branches that snapshot reverts separated): no conflict`,
    }
  }
  const writers = conflicted.length > 0 ? conflicted : allWriters
  const senders = new Set(writers.map((w) => w.tx.from)).size
  if (name.root === "unknown") {
    return writers.length >= 2 && senders >= 2
      ? { kind: "structural", reason: `one slot (not named) on which transactions from ${senders} senders conflicted` }
      : { kind: "data-dependent", reason: "not named; written by one sender only" }
  }
  const fromInputs = (entry: AttributedTx): boolean => {
    const sender = BigInt(entry.tx.from)
    let words: Set<bigint>
    try {
      words = argumentWords(decodeRaw(entry.tx.raw).data)
    } catch {
      words = new Set()
    }
    return name.keys.some((key) => key === sender || words.has(key))
  }
  const derived = writers.filter(fromInputs).length
  if (derived * 2 >= writers.length) {
    return {
      kind: "data-dependent",
      reason: `keyed by the sender or an argument (in ${derived} of ${writers.length} conflicting transactions): transactions conflict on it only when they share that key`,
    }
  }
  if (senders >= 2) {
    const entry = name.leaves[0]?.path ?? "entry"
    return {
      kind: "structural",
      reason: `the same entry ${entry} in ${writers.length} conflicting transactions from ${senders} senders, mostly under a key not taken from their senders or arguments`,
    }
  }
  return {
    kind: "data-dependent",
    reason: writers.length === 1 ? "a mapping or array entry that one transaction wrote" : "a mapping or array entry that only one sender wrote: it conflicts only with that sender's own transactions",
  }
}

export interface HotSlotOptions {
  /** Keep at most this many hot slots (default 20); suggestions still see all. */
  readonly maxHotSlots?: number
}

export function hotSlots(
  record: RunRecord,
  contract: string,
  analysis: ConflictAnalysis,
  namer: SlotNamer,
  options: HotSlotOptions = {},
): { slots: HotSlot[]; details: SlotDetail[] } {
  const groups = new Map<string, KeyStats[]>()
  for (const stats of analysis.keys.values()) {
    if (stats.slot === undefined) continue
    const id = `${stats.address}|${stats.slot}`
    const group = groups.get(id)
    if (group === undefined) groups.set(id, [stats])
    else group.push(stats)
  }
  const total = analysis.sequence.length
  const details: SlotDetail[] = []
  for (const group of groups.values()) {
    const writers = group.reduce((n, s) => n + s.writers.length, 0)
    const conflicts = group.reduce((n, s) => n + s.raw, 0)
    if (writers < 2 && conflicts === 0) continue
    const first = group[0] as KeyStats
    const slot = first.slot as Hex
    const name = namer.name(slot)
    const writerTxs = group.flatMap((s) => s.writers.map((p) => analysis.sequence[p] as AttributedTx))
    const changes = group.flatMap((s) => s.changes)
    let mask = 0n
    for (const change of changes) mask |= change.old ^ change.new
    const changedLeaves = name.leaves.filter((leaf) => leafValue(mask, leaf) !== 0n)
    const shown = changedLeaves.length > 0 ? changedLeaves : name.leaves
    const changed: LeafChanges[] = shown.map((leaf) => {
      let steps = 0
      let timestamps = 0
      let count = 0
      for (const change of changes) {
        const before = leafValue(change.old, leaf)
        const after = leafValue(change.new, leaf)
        if (before === after) continue
        count++
        const delta = after > before ? after - before : before - after
        if (delta <= MAX_COUNTER_STEP) steps++
        const entry = analysis.sequence[change.position] as AttributedTx
        const block = record.sessions[entry.session]?.blocks[entry.tx.block]
        if (block !== undefined && after === BigInt(block.env.timestamp)) timestamps++
      }
      return { leaf, changes: count, steps, timestamps }
    })
    const functionCounts = new Map<string, number>()
    for (const s of group) for (const p of s.writers) functionCounts.set(analysis.functionOf[p] as string, (functionCounts.get(analysis.functionOf[p] as string) ?? 0) + 1)
    const conflictedTxs = group.flatMap((s) => s.conflicted.map((p) => analysis.sequence[p] as AttributedTx))
    const { kind, reason } = classify(name, writerTxs, conflictedTxs)
    const noOpWrites = group.reduce((n, s) => n + s.noOpWrites, 0)
    const hot: HotSlot = {
      address: first.address,
      slot,
      name: slotDisplayName(contract, slot, name, shown),
      named: name.leaves.length > 0,
      ...(name.leaves.length > 1 ? { packed: name.leaves.map((l) => l.path) } : {}),
      ...(shown.length > 0 ? { type: shown.map((l) => l.type).join(" / ") } : {}),
      ...(name.note !== undefined ? { note: name.note } : {}),
      kind,
      kindReason: reason,
      writers,
      writeShare: total === 0 ? 0 : writers / total,
      readers: group.reduce((n, s) => n + s.readers, 0),
      conflicts,
      writeConflicts: group.reduce((n, s) => n + s.waw, 0),
      functions: [...functionCounts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([fn]) => fn),
      ...(noOpWrites > 0 ? { noOpWrites } : {}),
    }
    details.push({ slot: hot, name, changed })
  }
  // Two instances of the contract (two deployments) name the same slot alike: say which instance.
  const named = new Map<string, number>()
  for (const d of details) named.set(d.slot.name, (named.get(d.slot.name) ?? 0) + 1)
  const shown = details.map((d) => ((named.get(d.slot.name) ?? 0) > 1 ? { ...d, slot: { ...d.slot, name: `${d.slot.name} at ${shortAddress(d.slot.address)}` } } : d))
  shown.sort((a, b) => rank(a.slot, b.slot))
  return { slots: shown.slice(0, options.maxHotSlots ?? 20).map((d) => d.slot), details: shown }
}

/** The slots that transactions set and restored, as the report lists them, with the reason they do not count. */
export function ignoredSlots(contract: string, analysis: ConflictAnalysis, restored: Iterable<RestoredSlot>, namer: SlotNamer): IgnoredSlot[] {
  const merged = new Map<string, { slot: RestoredSlot; functions: Set<string>; transactions: number }>()
  for (const slot of restored) {
    const id = `${slot.address}|${slot.slot}`
    let entry = merged.get(id)
    if (entry === undefined) merged.set(id, (entry = { slot, functions: new Set(), transactions: 0 }))
    for (const fn of slot.functions) entry.functions.add(fn)
    analysis.sequence.forEach((tx, position) => {
      if (tx.session !== slot.session || !slot.functions.has(analysis.functionOf[position] as string)) return
      if (tx.tx.reads.some((r) => "slot" in r && r.address === slot.address && r.slot === slot.slot)) entry.transactions++
    })
  }
  const result: IgnoredSlot[] = []
  for (const { slot, functions, transactions } of merged.values()) {
    const name = namer.name(slot.slot)
    const display = slotDisplayName(contract, slot.slot, name)
    const guard = (name.root === "fixed" || name.root === "known" || name.root === "unknown") && slot.interim.length >= 1 && slot.interim.every((v) => v !== slot.original)
    const values = [slot.original, ...slot.interim, slot.original].map((v) => (v < 1n << 64n ? v.toString() : addressOfWord(v))).join(" -> ")
    const fns = [...functions].sort()
    result.push({
      address: slot.address,
      slot: slot.slot,
      name: display,
      reason: guard ? "storage-reentrancy-guard" : "no-op-write",
      explanation: guard
        ? `${display} is a storage reentrancy guard: ${fns.join(", ")} set it and restore it in every call (${values}), so its value never changes, the engine drops the write, and calls do not conflict on it. It still costs an SSTORE pair per call.`
        : `${display} is set and restored within each transaction of ${fns.join(", ")} (${values}): a no-op write, which the engine drops, so it is not a conflict.`,
      transactions,
      functions: fns,
    })
  }
  return result.sort((a, b) => b.transactions - a.transactions || a.name.localeCompare(b.name))
}
