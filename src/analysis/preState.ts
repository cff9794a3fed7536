/**
 * A world state rebuilt from what transactions read: for each key (account
 * field or storage slot), the value the first of them to touch it saw (its
 * read, or the `old` of its write when it wrote without reading), with code
 * bytes from the record. Enough to run those same transactions again, in the
 * same order, through the engine; keys nobody touched stay empty.
 */
import type { Hex } from "../engine/types.js"
import { WorldState, type AccountRecord } from "../engine/worldState.js"
import type { RecordedKey, RecordedTransaction } from "../network/record.js"
import { hexToBytes } from "./format.js"

export interface PreState {
  readonly state: WorldState
  /** Code hashes read but absent from the record's codes (those accounts run as empty). */
  readonly missingCode: Hex[]
}

export function preStateOf(transactions: readonly RecordedTransaction[], codes: Readonly<Record<Hex, Hex>>): PreState {
  const first = new Map<string, { key: RecordedKey; value: bigint }>()
  const idOf = (key: RecordedKey): string => ("slot" in key ? `${key.address}|s${key.slot}` : `${key.address}|${key.field}`)
  for (const tx of transactions) {
    const seen = new Set<string>()
    for (const read of tx.reads) {
      const id = idOf(read)
      seen.add(id)
      if (!first.has(id)) first.set(id, { key: read, value: BigInt(read.value) })
    }
    for (const write of tx.writes) {
      const id = idOf(write)
      if (seen.has(id) || first.has(id) || write.delta !== undefined) continue
      first.set(id, { key: write, value: BigInt(write.old) })
    }
  }
  const state = new WorldState()
  const missingCode: Hex[] = []
  const accountOf = (address: Hex): AccountRecord => {
    let account = state.accounts.get(address)
    if (account === undefined) state.accounts.set(address, (account = { nonce: 0n, balance: 0n, codeHash: 0n, storage: new Map() }))
    return account
  }
  for (const { key, value } of first.values()) {
    if ("slot" in key) {
      if (value !== 0n) accountOf(key.address).storage.set(key.slot, value)
      continue
    }
    switch (key.field) {
      case "exists":
        if (value !== 0n) accountOf(key.address)
        break
      case "nonce":
        if (value !== 0n) accountOf(key.address).nonce = value
        break
      case "balance":
        if (value !== 0n) accountOf(key.address).balance = value
        break
      case "code": {
        if (value === 0n) break
        accountOf(key.address).codeHash = value
        // The record writes words without leading zeros, and keys `codes` the same way.
        const hash = `0x${value.toString(16)}` as Hex
        const code = codes[hash]
        if (code === undefined) missingCode.push(hash)
        else state.codes.set(value, hexToBytes(code))
        break
      }
      case "storageEpoch":
        break
    }
  }
  return { state, missingCode }
}
