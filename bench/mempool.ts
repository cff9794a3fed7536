/**
 * node --import tsx bench/mempool.ts [--rounds N]
 *
 * The mempool's costs as the pool grows: for 100, 300, 1,000 and 10,000
 * pending transactions, the time per add (one sender's nonce chain, and 100
 * senders), selecting a 30M-gas block (1,428 transfers), applying that block
 * (onBlockMined) and a snapshot/restore pair. Each figure is the median of
 * several rounds, each round starting from the same pool (restored from a
 * snapshot).
 */
import { Mempool, type PooledTx } from "../src/network/mempool.js"
import type { Hex } from "../src/engine/types.js"

const SIZES = [100, 300, 1_000, 10_000]
const ADDS = 1_000
const BLOCK_GAS = 30_000_000n

const roundsArg = process.argv.indexOf("--rounds")
const ROUNDS = roundsArg >= 0 ? Number(process.argv[roundsArg + 1]) : 7

let state = 0x12345678
function rand(): number {
  state ^= state << 13
  state ^= state >>> 17
  state ^= state << 5
  return (state >>> 0) / 4294967296
}
const randomHex = (bytes: number): Hex => {
  let out = "0x"
  for (let i = 0; i < bytes; i += 4) out += Math.floor(rand() * 2 ** 32).toString(16).padStart(8, "0")
  return out.slice(0, 2 + 2 * bytes) as Hex
}

const senders = Array.from({ length: 100 }, () => randomHex(20))
const single = randomHex(20)

/** `count` transfers: all from one sender (nonces from `from`), or round-robin over 100 senders. */
function transactions(count: number, layout: "one" | "many", from: number): PooledTx[] {
  const result: PooledTx[] = []
  for (let i = from; i < from + count; i++) {
    const sender = layout === "one" ? single : (senders[i % 100] as Hex)
    const nonce = BigInt(layout === "one" ? i : Math.floor(i / 100))
    const tip = BigInt(1 + Math.floor(rand() * 50)) * 100_000_000n
    result.push({
      hash: randomHex(32),
      sender,
      nonce,
      gasLimit: 21_000n,
      maxFeePerGas: tip + 10_000_000_000n,
      maxPriorityFeePerGas: tip,
      raw: new Uint8Array(110),
    })
  }
  return result
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] as number
}

interface Row {
  pending: number
  addOne: number
  addMany: number
  select: number
  mined: number
  snapshot: number
}

function measure(size: number): Row {
  const row: Row = { pending: size, addOne: 0, addMany: 0, select: 0, mined: 0, snapshot: 0 }
  for (const layout of ["one", "many"] as const) {
    const pool = new Mempool("priority")
    for (const tx of transactions(size, layout, 0)) pool.add(tx, 0n)
    const base = pool.snapshot()
    const extra = transactions(ADDS, layout, size)
    const adds: number[] = []
    const selects: number[] = []
    const mines: number[] = []
    const snapshots: number[] = []
    for (let round = 0; round < ROUNDS + 1; round++) {
      pool.restore(base)
      let t = performance.now()
      for (const tx of extra) pool.add(tx, 0n)
      const add = ((performance.now() - t) * 1000) / ADDS
      pool.restore(base)

      t = performance.now()
      const block = pool.select(10_000_000_000n, BLOCK_GAS)
      const select = performance.now() - t

      const mined = new Map<Hex, bigint>()
      for (const tx of block) mined.set(tx.sender, tx.nonce + 1n)
      t = performance.now()
      pool.onBlockMined(
        block.map((tx) => tx.hash),
        (sender) => mined.get(sender) ?? 0n,
      )
      const mine = performance.now() - t
      if (pool.size() !== size - block.length) throw new Error("onBlockMined removed the wrong transactions")

      t = performance.now()
      for (let i = 0; i < 1000; i++) {
        const snap = pool.snapshot()
        pool.restore(base)
        pool.restore(snap)
      }
      const snapshot = performance.now() - t // ms per 1000 = µs per pair

      if (round === 0) continue // warm-up
      adds.push(add)
      if (layout === "many") {
        selects.push(select)
        mines.push(mine)
        snapshots.push(snapshot)
      }
    }
    if (layout === "one") row.addOne = median(adds)
    else {
      row.addMany = median(adds)
      row.select = median(selects)
      row.mined = median(mines)
      row.snapshot = median(snapshots)
    }
  }
  return row
}

const rows = SIZES.map(measure)
const table = [
  ["pending", "add, 1 sender (µs/tx)", "add, 100 senders (µs/tx)", "select 30M block (ms)", "onBlockMined (ms)", "snapshot+restore (µs)"],
  ...rows.map((r) => [
    String(r.pending),
    r.addOne.toFixed(1),
    r.addMany.toFixed(1),
    r.select.toFixed(2),
    r.mined.toFixed(2),
    r.snapshot.toFixed(3),
  ]),
]
const widths = (table[0] as string[]).map((_, c) => Math.max(...table.map((line) => (line[c] as string).length)))
for (const line of table) console.log(line.map((cell, c) => cell.padStart(widths[c] as number)).join("  "))
console.log(`(${ADDS} adds per round on top of the pending ones; medians of ${ROUNDS} rounds; blocks of ${BLOCK_GAS / 21_000n} transfers)`)
