/**
 * Field-by-field comparison of two block results, for proving that parallel
 * execution equals sequential: receipts, logs, gas, errors, return data,
 * access sets and the post-state. Stats are not compared.
 */
import type { BlockResult, StateDiff } from "./types.js"

function show(value: unknown): string {
  if (value === undefined) return "undefined"
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === "bigint" ? `${v}n` : v instanceof Map ? Object.fromEntries(v) : v,
  )
}

/** The differences between two results, as readable lines; empty when they match. */
export function compareResults(a: BlockResult, b: BlockResult, limit = 20): string[] {
  const out: string[] = []
  const check = (what: string, x: unknown, y: unknown) => {
    if (out.length >= limit) return
    const sx = show(x)
    const sy = show(y)
    if (sx !== sy) out.push(`${what}: ${sx.slice(0, 300)} != ${sy.slice(0, 300)}`)
  }
  check("gasUsed", a.gasUsed, b.gasUsed)
  check("receiptsRoot", a.receiptsRoot, b.receiptsRoot)
  check("logsBloom", a.logsBloom, b.logsBloom)
  check("requestsHash", a.requestsHash, b.requestsHash)
  check("transaction count", a.transactions.length, b.transactions.length)
  const n = Math.min(a.transactions.length, b.transactions.length)
  for (let i = 0; i < n && out.length < limit; i++) {
    const x = a.transactions[i]
    const y = b.transactions[i]
    if (x === undefined || y === undefined) continue
    for (const field of ["hash", "sender", "included", "invalidReason", "receipt", "gasUsed", "blockGasUsed", "returnValue", "error", "createdAddress", "blobGasUsed"] as const) {
      check(`tx ${i} ${field}`, x[field], y[field])
    }
    check(`tx ${i} reads`, x.access.reads, y.access.reads)
    check(`tx ${i} writes`, x.access.writes, y.access.writes)
  }
  compareDiffs(a.stateDiff, b.stateDiff, check)
  return out
}

function compareDiffs(a: StateDiff, b: StateDiff, check: (what: string, x: unknown, y: unknown) => void): void {
  const addresses = new Set([...a.keys(), ...b.keys()])
  for (const address of [...addresses].sort()) {
    const x = a.get(address)
    const y = b.get(address)
    if (x === undefined || y === undefined) {
      check(`state ${address}`, x, y)
      continue
    }
    check(`state ${address}`, { ...x, storage: [...x.storage].sort() }, { ...y, storage: [...y.storage].sort() })
  }
}
