/**
 * Slots that a transaction sets and then restores, such as a storage
 * reentrancy guard (1 -> 2 on entry, back to 1 on exit). The engine drops such
 * a write from the access set, because the value did not change, so the slot
 * never makes transactions conflict; the record alone shows only a read. To
 * say *why* the slot is harmless (and that a transient guard would be cheaper),
 * a few transactions per function are run again, one at a time over the state
 * they read, with a step hook that watches SSTORE: a slot stored and left at
 * its original value is a restored slot (a guard when it held another value
 * in between; a plain no-op write when it did not). Only transactions that
 * read a slot of the contract that no transaction ever changed are probed.
 */
import { replayTransaction } from "../engine/index.js"
import type { Hex } from "../engine/types.js"
import type { RunRecord } from "../network/record.js"
import type { AttributedTx } from "./attribution.js"
import { keyId, storageOwnerId } from "./conflicts.js"
import { hexToBytes, slotHex } from "./format.js"
import { preStateOf } from "./preState.js"
import { chainOf, headerOf } from "./replay.js"

export interface RestoredSlot {
  readonly id: string
  readonly session: number
  readonly address: Hex
  readonly slot: Hex
  /** The value before and after the transaction. */
  readonly original: bigint
  /** The values it held in between, in order. */
  readonly interim: readonly bigint[]
  /** Functions whose probed transactions set and restored it. */
  readonly functions: Set<string>
}

export interface GuardProbe {
  /** Key id -> the restored slot. */
  readonly restored: Map<string, RestoredSlot>
  readonly probed: number
  readonly failures: string[]
}

interface StoreStep {
  readonly opcode: { readonly name: string }
  readonly stack: readonly bigint[]
  readonly address: { toString(): string }
}

export async function findRestoredSlots(
  record: RunRecord,
  sequence: readonly AttributedTx[],
  functionOf: readonly string[],
  owners: ReadonlySet<string>,
  options: { readonly perFunction?: number; readonly maxProbes?: number } = {},
): Promise<GuardProbe> {
  const perFunction = options.perFunction ?? 2
  const maxProbes = options.maxProbes ?? 16
  // Candidate slots: read by the contract's transactions and never changed by any of them.
  const changed = new Set<string>()
  for (const entry of sequence) for (const w of entry.tx.writes) if ("slot" in w && w.old !== w.new) changed.add(keyId(entry.session, w))
  const candidate = (entry: AttributedTx): boolean =>
    entry.tx.reads.some((r) => "slot" in r && owners.has(storageOwnerId(entry.session, r.address)) && !changed.has(keyId(entry.session, r)))
  const restored = new Map<string, RestoredSlot>()
  const failures: string[] = []
  const perFn = new Map<string, number>()
  let probed = 0
  for (const [position, entry] of sequence.entries()) {
    if (probed >= maxProbes) break
    const fn = functionOf[position] as string
    if (entry.tx.status !== 1 || (perFn.get(fn) ?? 0) >= perFunction || !candidate(entry)) continue
    perFn.set(fn, (perFn.get(fn) ?? 0) + 1)
    probed++
    const session = record.sessions[entry.session]
    const block = session?.blocks[entry.tx.block]
    if (session === undefined || block === undefined) continue
    const { state } = preStateOf([entry.tx], record.codes)
    const header = headerOf(block)
    const stores = new Map<string, bigint[]>()
    const onStep = (step: StoreStep): void => {
      if (step.opcode.name !== "SSTORE") return
      const slot = step.stack[step.stack.length - 1]
      const value = step.stack[step.stack.length - 2]
      if (slot === undefined || value === undefined) return
      const id = `${step.address.toString().toLowerCase()}|${slotHex(slot)}`
      let values = stores.get(id)
      if (values === undefined) stores.set(id, (values = []))
      values.push(value)
    }
    try {
      const outcome = await replayTransaction(
        { state, header, chain: chainOf(session) },
        { header, transactions: [{ raw: hexToBytes(entry.tx.raw), sender: entry.tx.from }] },
        0,
        { onStep },
      )
      if (outcome.status !== 1) {
        failures.push(`${entry.tx.hash}: failed when run again alone (${outcome.error ?? "invalid"}), so its SSTOREs were not checked`)
        continue
      }
    } catch (error) {
      failures.push(`${entry.tx.hash}: could not be run again (${(error as Error).message})`)
      continue
    }
    for (const [id, values] of stores) {
      const [address, slot] = id.split("|") as [Hex, Hex]
      if (!owners.has(storageOwnerId(entry.session, address))) continue
      let read: { readonly slot: Hex; readonly value: Hex } | undefined
      for (const r of entry.tx.reads) if ("slot" in r && r.address === address && BigInt(r.slot) === BigInt(slot)) read = r
      if (read === undefined) continue
      const original = BigInt(read.value)
      if (values[values.length - 1] !== original) continue
      const key = keyId(entry.session, { address, slot: read.slot })
      let found = restored.get(key)
      if (found === undefined) {
        found = { id: key, session: entry.session, address, slot: read.slot, original, interim: values.slice(0, -1), functions: new Set() }
        restored.set(key, found)
      }
      found.functions.add(fn)
    }
  }
  return { restored, probed, failures }
}
