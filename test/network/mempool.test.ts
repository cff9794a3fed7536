/**
 * The mempool: ordering, nonce chains, replacement, block packing, drops,
 * block updates and snapshots, with the cases checked against Hardhat's EDR
 * (see the comments), and a seeded randomized comparison with a plain O(n²)
 * model of the same rules.
 */
import { expect } from "chai"

import type { Hex } from "../../src/engine/types.js"
import { Mempool, MempoolError, type AddResult, type MempoolOrder, type MempoolSnapshot, type PooledTx } from "../../src/network/mempool.js"
import { Rng } from "../fixtures/randomBlocks.js"

const GWEI = 1_000_000_000n

const address = (n: number): Hex => `0x${n.toString(16).padStart(40, "0")}`
const [A, B, C, D, E, F] = [1, 2, 3, 4, 5, 6].map(address) as [Hex, Hex, Hex, Hex, Hex, Hex]

let counter = 0
const labels = new Map<Hex, string>()

interface Fees {
  /** Legacy: gasPrice. */
  readonly price?: bigint
  /** EIP-1559: maxFeePerGas and maxPriorityFeePerGas. */
  readonly max?: bigint
  readonly tip?: bigint
}

function tx(label: string, sender: Hex, nonce: number | bigint, fees: Fees, gasLimit = 21_000n): PooledTx {
  const hash: Hex = `0x${(++counter).toString(16).padStart(64, "0")}`
  labels.set(hash, label)
  const maxFeePerGas = fees.price ?? fees.max ?? 0n
  const maxPriorityFeePerGas = fees.price ?? fees.tip ?? 0n
  return { hash, sender, nonce: BigInt(nonce), gasLimit, maxFeePerGas, maxPriorityFeePerGas, raw: new Uint8Array([counter & 0xff]) }
}

const names = (txs: readonly PooledTx[]): string[] => txs.map((t) => labels.get(t.hash) ?? t.hash)

function errorOf(run: () => unknown): MempoolError {
  try {
    run()
  } catch (error) {
    expect(error).to.be.instanceOf(MempoolError)
    return error as MempoolError
  }
  throw new Error("expected a MempoolError")
}

describe("mempool", () => {
  describe("ordering", () => {
    it("priority: by effective fee at the base fee, heads only, ties by arrival, underpriced senders left out (as EDR mined it)", () => {
      // The same transactions, in the same order, that EDR mined as b0, a0, a1, d0, c0, f0, f1
      // with a next base fee of 10 gwei (e0, e1 stayed in its pool).
      const pool = new Mempool("priority")
      const base = 10n * GWEI
      const sent = [
        tx("a0", A, 0, { price: 13n * GWEI }), // effective 3
        tx("b0", B, 0, { max: 20n * GWEI, tip: 5n * GWEI }), // 5
        tx("c0", C, 0, { max: 12n * GWEI, tip: 9n * GWEI }), // 2
        tx("d0", D, 0, { max: 100n * GWEI, tip: 3n * GWEI }), // 3, ties a0 and came later
        tx("e0", E, 0, { max: 9n * GWEI, tip: 1n * GWEI }), // below the base fee
        tx("e1", E, 1, { max: 90n * GWEI, tip: 50n * GWEI }),
        tx("a1", A, 1, { price: 100n * GWEI }), // 90, but behind a0
        tx("f1", F, 1, { price: 100n * GWEI }), // queued until f0
        tx("f0", F, 0, { price: 11n * GWEI }), // 1
      ]
      const statuses = sent.map((t) => pool.add(t, 0n).status)
      expect(statuses).to.deep.equal(["pending", "pending", "pending", "pending", "pending", "pending", "pending", "queued", "pending"])
      expect(names(pool.select(base, 30_000_000n))).to.deep.equal(["b0", "a0", "a1", "d0", "c0", "f0", "f1"])
      // pending() lists everything executable in that order, the underpriced last.
      expect(names(pool.pending())).to.deep.equal(["b0", "a0", "a1", "d0", "c0", "f0", "f1", "e0", "e1"])
      expect(pool.size()).to.equal(9)
    })

    it("priority without a base fee: by gas price, ties by arrival", () => {
      const pool = new Mempool("priority")
      for (const t of [
        tx("p123", A, 0, { price: 123n }),
        tx("p1000", B, 0, { price: 1000n }),
        tx("p1000-later", C, 0, { price: 1000n }),
        tx("p2000", D, 0, { price: 2000n }),
      ]) {
        pool.add(t, 0n)
      }
      expect(names(pool.select(0n, 1_000_000n))).to.deep.equal(["p2000", "p1000", "p1000-later", "p123"])
    })

    it("priority: the base fee can swap two transactions (min(tip, maxFee - baseFee))", () => {
      const pool = new Mempool("priority")
      pool.add(tx("tip100-max120", A, 0, { max: 120n, tip: 100n }), 0n)
      pool.add(tx("tip50-max1000", B, 0, { max: 1000n, tip: 50n }), 0n)
      pool.add(tx("legacy60", C, 0, { price: 60n }), 0n)
      expect(names(pool.select(0n, 1_000_000n))).to.deep.equal(["tip100-max120", "legacy60", "tip50-max1000"])
      // base 40: 80, 20, 50
      expect(names(pool.select(40n, 1_000_000n))).to.deep.equal(["tip100-max120", "tip50-max1000", "legacy60"])
      // base 100: 20, 50, -40 (legacy60 is underpriced and left out)
      expect(names(pool.select(100n, 1_000_000n))).to.deep.equal(["tip50-max1000", "tip100-max120"])
      expect(names(pool.pending())).to.deep.equal(["tip50-max1000", "tip100-max120", "legacy60"])
      // base 70: 50 (tie, earlier), 50, -10
      expect(names(pool.select(70n, 1_000_000n))).to.deep.equal(["tip100-max120", "tip50-max1000"])
    })

    it("priority: a sender's later, richer transaction waits for its head", () => {
      const pool = new Mempool("priority")
      pool.add(tx("a0", A, 0, { price: 1n }), 0n)
      pool.add(tx("a1", A, 1, { price: 100n }), 0n)
      pool.add(tx("a2", A, 2, { price: 3n }), 0n)
      pool.add(tx("b0", B, 0, { price: 50n }), 0n)
      pool.add(tx("b1", B, 1, { price: 2n }), 0n)
      expect(names(pool.select(0n, 1_000_000n))).to.deep.equal(["b0", "b1", "a0", "a1", "a2"])
    })

    it("fifo: arrival order across senders, nonce order within one; a replacement counts as a new arrival (as EDR mined it)", () => {
      // EDR mined a0, a1, c0, b0' for these, sent in this order.
      const pool = new Mempool("fifo")
      pool.add(tx("a1", A, 1, { price: 5n * GWEI }), 0n)
      pool.add(tx("b0", B, 0, { price: 2n * GWEI }), 0n)
      pool.add(tx("a0", A, 0, { price: 2n * GWEI }), 0n)
      pool.add(tx("c0", C, 0, { price: 9n * GWEI }), 0n)
      pool.add(tx("b0'", B, 0, { price: 3n * GWEI }), 0n)
      expect(names(pool.select(GWEI, 30_000_000n))).to.deep.equal(["a0", "a1", "c0", "b0'"])
      expect(names(pool.pending())).to.deep.equal(["a0", "a1", "c0", "b0'"])
    })

    it("fifo: fees do not order, but senders that cannot pay the base fee are left out", () => {
      const pool = new Mempool("fifo")
      pool.add(tx("a0", A, 0, { price: 1n }), 0n)
      pool.add(tx("b0", B, 0, { price: 5n }), 0n)
      pool.add(tx("a1", A, 1, { price: 100n }), 0n)
      pool.add(tx("c0", C, 0, { max: 100n, tip: 0n }), 0n)
      expect(names(pool.select(0n, 1_000_000n))).to.deep.equal(["a0", "b0", "a1", "c0"])
      expect(names(pool.select(3n, 1_000_000n))).to.deep.equal(["b0", "c0"])
      expect(names(pool.pending())).to.deep.equal(["a0", "b0", "a1", "c0"])
    })
  })

  describe("nonces", () => {
    it("queues a transaction behind a gap and promotes the run when the gap is filled", () => {
      const pool = new Mempool("priority")
      expect(pool.add(tx("a2", A, 2, { price: 1n }), 0n)).to.deep.equal({ status: "queued" })
      expect(pool.add(tx("a3", A, 3, { price: 1n }), 0n)).to.deep.equal({ status: "queued" })
      expect(pool.add(tx("a5", A, 5, { price: 1n }), 0n)).to.deep.equal({ status: "queued" })
      expect(pool.add(tx("a0", A, 0, { price: 1n }), 0n)).to.deep.equal({ status: "pending" })
      expect(names(pool.pending())).to.deep.equal(["a0"])
      expect(names(pool.queued())).to.deep.equal(["a2", "a3", "a5"])
      expect(pool.queuedCount()).to.equal(3)
      expect(pool.nextNonce(A, 0n)).to.equal(1n)
      expect(pool.add(tx("a1", A, 1, { price: 1n }), 0n)).to.deep.equal({ status: "pending" })
      expect(names(pool.pending())).to.deep.equal(["a0", "a1", "a2", "a3"])
      expect(names(pool.queued())).to.deep.equal(["a5"])
      expect(pool.nextNonce(A, 0n)).to.equal(4n)
      expect(pool.nextNonce(B, 7n)).to.equal(7n)
      expect(names(pool.select(0n, 1_000_000n))).to.deep.equal(["a0", "a1", "a2", "a3"])
    })

    it("refuses a nonce below the account's, and a known hash, with EDR's messages", () => {
      const pool = new Mempool("priority")
      const t = tx("a1", A, 1, { price: 1n })
      pool.add(t, 1n)
      const known = errorOf(() => pool.add(t, 1n))
      expect(known.code).to.equal("KNOWN_TRANSACTION")
      expect(known.message).to.equal(`Known transaction: ${t.hash}`)
      const low = errorOf(() => pool.add(tx("a0", A, 0, { price: 1n }), 1n))
      expect(low.code).to.equal("NONCE_TOO_LOW")
      expect(low.message).to.equal("Transaction nonce too low. Expected nonce to be at least 1 but got 0.")
      expect(pool.size()).to.equal(1)
    })

    it("drops a sender's stale transactions when a later add brings a higher account nonce", () => {
      const pool = new Mempool("priority")
      pool.add(tx("a0", A, 0, { price: 1n }), 0n)
      pool.add(tx("a1", A, 1, { price: 1n }), 0n)
      pool.add(tx("a3", A, 3, { price: 1n }), 0n)
      expect(pool.add(tx("a2", A, 2, { price: 1n }), 2n).status).to.equal("pending")
      expect(names(pool.pending())).to.deep.equal(["a2", "a3"])
      expect(pool.size()).to.equal(2)
      expect(pool.nextNonce(A, 2n)).to.equal(4n)
      // An account nonce the pool has not seen yet, above or below what it knows.
      expect(pool.nextNonce(A, 3n)).to.equal(4n)
      expect(pool.nextNonce(A, 1n)).to.equal(1n)
    })
  })

  describe("replacement", () => {
    it("needs both fees 10% higher (EDR's messages, checked against EDR)", () => {
      const pool = new Mempool("priority")
      const first = tx("a0", A, 0, { max: 10n * GWEI, tip: 2n * GWEI })
      pool.add(first, 0n)
      const tries: [Fees, string | undefined][] = [
        [{ max: 10n * GWEI, tip: 2n * GWEI }, "A gasPrice/maxFeePerGas of at least 11000000000"],
        [{ max: 11n * GWEI - 1n, tip: 3n * GWEI }, "A gasPrice/maxFeePerGas of at least 11000000000"],
        [{ max: 11n * GWEI, tip: 2n * GWEI }, "A gasPrice/maxPriorityFeePerGas of at least 2200000000"],
        [{ max: 11n * GWEI, tip: 2_200_000_000n - 1n }, "A gasPrice/maxPriorityFeePerGas of at least 2200000000"],
      ]
      for (const [fees, message] of tries) {
        const error = errorOf(() => pool.add(tx("a0'", A, 0, fees), 0n))
        expect(error.code).to.equal("REPLACEMENT_UNDERPRICED")
        expect(error.message).to.equal(
          `Replacement transaction underpriced. ${message} is necessary to replace the existing transaction with nonce 0.`,
        )
      }
      const replacement = tx("a0'", A, 0, { max: 11n * GWEI, tip: 2_200_000_000n })
      expect(pool.add(replacement, 0n)).to.deep.equal({ status: "pending", replaced: first.hash })
      expect(pool.has(first.hash)).to.equal(false)
      expect(pool.get(replacement.hash)).to.equal(replacement)
      expect(pool.size()).to.equal(1)
      expect(names(pool.pending())).to.deep.equal(["a0'"])
    })

    it("rounds the 10% up (15 needs 17, as EDR answered)", () => {
      const pool = new Mempool("priority")
      pool.add(tx("b0", B, 0, { price: 15n }), 0n)
      expect(errorOf(() => pool.add(tx("b0 16", B, 0, { price: 16n }), 0n)).message).to.equal(
        "Replacement transaction underpriced. A gasPrice/maxFeePerGas of at least 17 is necessary to replace the existing transaction with nonce 0.",
      )
      expect(pool.add(tx("b0 17", B, 0, { price: 17n }), 0n).replaced).to.be.a("string")
      // Zero fees: any fee replaces them, zero included.
      pool.add(tx("c0", C, 0, { price: 0n }), 0n)
      expect(pool.add(tx("c0'", C, 0, { price: 0n }), 0n).replaced).to.be.a("string")
    })

    it("replaces a queued transaction in place, and a legacy one with a 1559 one", () => {
      const pool = new Mempool("priority")
      pool.add(tx("a0", A, 0, { price: 100n }), 0n)
      const queued = tx("a2", A, 2, { price: 10n })
      pool.add(queued, 0n)
      expect(pool.add(tx("a2'", A, 2, { price: 11n }), 0n)).to.deep.equal({ status: "queued", replaced: queued.hash })
      expect(names(pool.queued())).to.deep.equal(["a2'"])
      expect(pool.add(tx("a0'", A, 0, { max: 110n, tip: 110n }), 0n).status).to.equal("pending")
      expect(names(pool.pending())).to.deep.equal(["a0'"])
    })

    it("leaves the pool untouched when an add fails", () => {
      const pool = new Mempool("priority")
      pool.add(tx("a0", A, 0, { price: 1n }), 0n)
      pool.add(tx("a2", A, 2, { price: 10n }), 0n)
      const before = pool.snapshot()
      // The account nonce moved to 1 (a0 would be stale), but the replacement of a2 is underpriced.
      errorOf(() => pool.add(tx("a2'", A, 2, { price: 10n }), 1n))
      expect(pool.snapshot()).to.equal(before)
      expect(names(pool.pending())).to.deep.equal(["a0"])
      expect(names(pool.queued())).to.deep.equal(["a2"])
    })
  })

  describe("block building", () => {
    it("packs by gas limit, skipping what does not fit and going on with other senders", () => {
      const pool = new Mempool("priority")
      pool.add(tx("a0", A, 0, { price: 9n }, 60_000n), 0n)
      pool.add(tx("b0", B, 0, { price: 8n }, 60_000n), 0n)
      pool.add(tx("c0", C, 0, { price: 7n }, 60_000n), 0n)
      pool.add(tx("d0", D, 0, { price: 1n }, 21_000n), 0n)
      expect(names(pool.select(0n, 100_000n))).to.deep.equal(["a0", "d0"])
      expect(names(pool.select(0n, 120_000n))).to.deep.equal(["a0", "b0"])
      expect(names(pool.select(0n, 20_999n))).to.deep.equal([])
      // EDR counts the gas each transaction used as it executes them (a0, b0, d0 for 21000 used
      // each, in a 100k block). A miner that executes as it goes can do the same with a cursor.
      const cursor = pool.cursor(0n)
      const included: PooledTx[] = []
      let left = 100_000n
      for (let next = cursor.next(); next !== undefined; next = cursor.next()) {
        if (next.gasLimit > left) {
          cursor.skipSender(next.sender)
          continue
        }
        included.push(next)
        left -= 21_000n
      }
      expect(names(included)).to.deep.equal(["a0", "b0", "d0"])
    })

    it("leaves out the rest of a sender whose transaction does not fit (as EDR did)", () => {
      const pool = new Mempool("priority")
      pool.add(tx("a0", A, 0, { price: 9n }, 21_000n), 0n)
      pool.add(tx("a1", A, 1, { price: 9n }, 90_000n), 0n)
      pool.add(tx("a2", A, 2, { price: 9n }, 21_000n), 0n)
      pool.add(tx("b0", B, 0, { price: 1n }, 21_000n), 0n)
      expect(names(pool.select(0n, 100_000n))).to.deep.equal(["a0", "b0"])
      expect(pool.size()).to.equal(4)
    })

    it("leaves out senders below the minimum gas price, compared with maxFeePerGas (as EDR did)", () => {
      const pool = new Mempool("priority")
      pool.add(tx("a0", A, 0, { max: 10n * GWEI, tip: GWEI }), 0n)
      pool.add(tx("a1", A, 1, { price: 9n * GWEI }), 0n)
      pool.add(tx("b0", B, 0, { price: 4n * GWEI }), 0n)
      pool.add(tx("b1", B, 1, { price: 9n * GWEI }), 0n)
      pool.add(tx("c0", C, 0, { price: 6n * GWEI }), 0n)
      expect(names(pool.select(1n, 30_000_000n, 5n * GWEI))).to.deep.equal(["c0", "a0", "a1"])
    })

    it("does not change the pool", () => {
      const pool = new Mempool("fifo")
      for (let i = 0; i < 10; i++) pool.add(tx(`a${i}`, A, i, { price: 1n }), 0n)
      const first = names(pool.select(0n, 5n * 21_000n))
      expect(first).to.deep.equal(["a0", "a1", "a2", "a3", "a4"])
      expect(names(pool.select(0n, 5n * 21_000n))).to.deep.equal(first)
      expect(pool.size()).to.equal(10)
      expect(pool.pending()).to.have.length(10)
    })
  })

  describe("drop", () => {
    it("turns the sender's later pending transactions into queued ones (as EDR did)", () => {
      const pool = new Mempool("priority")
      const a0 = tx("a0", A, 0, { price: 9n })
      const a1 = tx("a1", A, 1, { price: 9n })
      const a2 = tx("a2", A, 2, { price: 9n })
      for (const t of [a0, a1, a2]) pool.add(t, 0n)
      expect(pool.nextNonce(A, 0n)).to.equal(3n)
      expect(pool.drop(a1.hash)).to.equal(true)
      expect(pool.drop(a1.hash)).to.equal(false)
      expect(pool.nextNonce(A, 0n)).to.equal(1n)
      expect(names(pool.pending())).to.deep.equal(["a0"])
      expect(names(pool.queued())).to.deep.equal(["a2"])
      expect(names(pool.select(0n, 1_000_000n))).to.deep.equal(["a0"])
      pool.onBlockMined([a0.hash], () => 1n)
      expect(pool.add(tx("a1 again", A, 1, { price: 9n }), 1n).status).to.equal("pending")
      expect(names(pool.select(0n, 1_000_000n))).to.deep.equal(["a1 again", "a2"])
    })

    it("drops a queued transaction or a sender's head", () => {
      const pool = new Mempool("priority")
      const a0 = tx("a0", A, 0, { price: 1n })
      const a3 = tx("a3", A, 3, { price: 1n })
      pool.add(a0, 0n)
      pool.add(a3, 0n)
      pool.add(tx("b0", B, 0, { price: 1n }), 0n)
      expect(pool.drop(a3.hash)).to.equal(true)
      expect(pool.queuedCount()).to.equal(0)
      expect(pool.drop(a0.hash)).to.equal(true)
      expect(names(pool.pending())).to.deep.equal(["b0"])
      expect(pool.size()).to.equal(1)
      expect(pool.get(a0.hash)).to.equal(undefined)
    })
  })

  describe("after a block, and revalidation", () => {
    it("removes what was mined and promotes what the new nonce reaches", () => {
      const pool = new Mempool("priority")
      const a0 = tx("a0", A, 0, { price: 5n })
      const a1 = tx("a1", A, 1, { price: 5n })
      pool.add(a0, 0n)
      pool.add(a1, 0n)
      pool.add(tx("a3", A, 3, { price: 5n }), 0n)
      pool.add(tx("b0", B, 0, { price: 1n }), 0n)
      const nonces = new Map<Hex, bigint>([[A, 2n]])
      pool.onBlockMined([a0.hash, a1.hash, `0x${"ee".repeat(32)}`], (s) => nonces.get(s) ?? 0n)
      expect(pool.size()).to.equal(2)
      expect(names(pool.pending())).to.deep.equal(["b0"])
      expect(names(pool.queued())).to.deep.equal(["a3"])
      // A nonce that jumps over the gap (e.g. the account's code created a contract).
      const a2 = tx("a2", A, 2, { price: 5n })
      pool.add(a2, 2n)
      nonces.set(A, 3n)
      pool.onBlockMined([a2.hash], (s) => nonces.get(s) ?? 0n)
      expect(names(pool.pending())).to.deep.equal(["a3", "b0"])
      expect(pool.queuedCount()).to.equal(0)
    })

    it("a mined transaction that did not raise the nonce (left out as invalid) opens a gap", () => {
      const pool = new Mempool("fifo")
      const a0 = tx("a0", A, 0, { price: 1n })
      pool.add(a0, 0n)
      pool.add(tx("a1", A, 1, { price: 1n }), 0n)
      pool.onBlockMined([a0.hash], () => 0n)
      expect(names(pool.pending())).to.deep.equal([])
      expect(names(pool.queued())).to.deep.equal(["a1"])
    })

    it("revalidate drops stale transactions, promotes reachable ones, and applies `keep`", () => {
      const pool = new Mempool("priority")
      for (const t of [
        tx("a0", A, 0, { price: 1n }),
        tx("a1", A, 1, { price: 1n }),
        tx("a3", A, 3, { price: 1n }),
        tx("b0", B, 0, { price: 2n }),
        tx("b1", B, 1, { price: 2n }, 50_000n),
        tx("b2", B, 2, { price: 2n }),
      ]) {
        pool.add(t, 0n)
      }
      const nonces = new Map<Hex, bigint>([
        [A, 3n],
        [B, 0n],
      ])
      pool.revalidate((s) => nonces.get(s) ?? 0n)
      expect(names(pool.pending())).to.deep.equal(["b0", "b1", "b2", "a3"])
      expect(pool.size()).to.equal(4)
      // e.g. a lowered block gas limit: b1 goes, b2 waits behind the gap.
      pool.revalidate((s) => nonces.get(s) ?? 0n, (t) => t.gasLimit <= 30_000n)
      expect(names(pool.pending())).to.deep.equal(["b0", "a3"])
      expect(names(pool.queued())).to.deep.equal(["b2"])
      // A nonce set lower than the pool assumed: a3 waits again.
      nonces.set(A, 1n)
      pool.revalidate((s) => nonces.get(s) ?? 0n)
      expect(names(pool.queued())).to.deep.equal(["a3", "b2"])
    })
  })

  describe("snapshots", () => {
    it("restores any snapshot, any number of times, whatever happened after it", () => {
      const pool = new Mempool("fifo")
      const a0 = tx("a0", A, 0, { price: 1n })
      pool.add(a0, 0n)
      const s1 = pool.snapshot()
      pool.add(tx("a1", A, 1, { price: 1n }), 0n)
      pool.add(tx("b1", B, 1, { price: 1n }), 0n)
      const s2 = pool.snapshot()
      pool.onBlockMined([a0.hash], () => 1n)
      pool.drop(pool.pending()[0]?.hash as Hex)
      pool.add(tx("c0", C, 0, { price: 1n }), 0n)
      expect(names(pool.pending())).to.deep.equal(["c0"])

      pool.restore(s1)
      expect(names(pool.pending())).to.deep.equal(["a0"])
      expect(names(pool.queued())).to.deep.equal([])
      pool.add(tx("d0", D, 0, { price: 1n }), 0n)
      pool.restore(s2)
      expect(names(pool.pending())).to.deep.equal(["a0", "a1"])
      expect(names(pool.queued())).to.deep.equal(["b1"])
      expect(pool.size()).to.equal(3)
      pool.restore(s1)
      pool.restore(s1)
      expect(pool.size()).to.equal(1)
      // Arrival numbers come back with the snapshot: a later arrival still goes after a0.
      pool.add(tx("e0", E, 0, { price: 1n }), 0n)
      expect(names(pool.pending())).to.deep.equal(["a0", "e0"])
      pool.clear()
      expect(pool.size()).to.equal(0)
      pool.restore(s2)
      expect(pool.size()).to.equal(3)
    })
  })

  describe("at scale", () => {
    it("keeps a 10,000-transaction chain and 100 busy senders straight", () => {
      const pool = new Mempool("priority")
      const long: PooledTx[] = []
      for (let i = 0; i < 10_000; i++) {
        const t = tx(`a${i}`, A, i, { price: 1n })
        long.push(t)
        expect(pool.add(t, 0n).status).to.equal("pending")
      }
      for (let s = 0; s < 100; s++) {
        for (let n = 99; n >= 0; n--) pool.add(tx(`s${s}-${n}`, address(100 + s), n, { price: BigInt(2 + (s % 10)) }), 0n)
      }
      expect(pool.size()).to.equal(20_000)
      expect(pool.queuedCount()).to.equal(0)
      const block = pool.select(0n, 30_000_000n)
      expect(block).to.have.length(1428)
      // The ten senders at 11 first (arrival order between them), then those at 10...
      expect(block[0]?.sender).to.equal(address(109))
      expect(block.slice(0, 1000).every((t) => t.maxFeePerGas === 11n)).to.equal(true)
      expect(block.slice(1000).every((t) => t.maxFeePerGas === 10n)).to.equal(true)
      const snap = pool.snapshot()
      expect(pool.drop(long[0]?.hash as Hex)).to.equal(true)
      expect(pool.queuedCount()).to.equal(9_999)
      expect(pool.nextNonce(A, 0n)).to.equal(0n)
      pool.add(long[0] as PooledTx, 0n)
      expect(pool.queuedCount()).to.equal(0)
      expect(pool.nextNonce(A, 0n)).to.equal(10_000n)
      pool.onBlockMined(
        long.slice(0, 5_000).map((t) => t.hash),
        (s) => (s === A ? 5_000n : 0n),
      )
      expect(pool.size()).to.equal(15_000)
      expect(pool.nextNonce(A, 5_000n)).to.equal(10_000n)
      pool.restore(snap)
      expect(pool.size()).to.equal(20_000)
    })
  })

  describe("against a reference model", () => {
    for (const [order, seeds] of [
      ["priority", 30],
      ["fifo", 15],
    ] as const) {
      it(`${order}: agrees with the model over random operations (${seeds} seeds)`, () => {
        for (let seed = 1; seed <= seeds; seed++) runRandom(order, seed, 5, 400)
      })
    }
    it("priority: agrees on bigger pools (many senders)", () => {
      for (let seed = 100; seed < 103; seed++) runRandom("priority", seed, 25, 1500, GROWING)
    })
    for (const order of ["priority", "fifo"] as const) {
      it(`${order}: selecting after every step (the node's pending state) agrees, the kept selection extended or made again`, () => {
        for (let seed = 200; seed < 215; seed++) runRandom(order, seed, 8, 300, SELECTING)
      })
    }
  })
})

// --- the model ------------------------------------------------------------------------------------

/** The mempool's rules, written out directly: lists, linear scans, EDR's block loop. */
class Model {
  entries: { tx: PooledTx; arrival: number }[] = []
  base = new Map<Hex, bigint>()
  arrivals = 0
  lastBaseFee = 0n

  constructor(readonly order: MempoolOrder) {}

  clone(): Model {
    const copy = new Model(this.order)
    copy.entries = [...this.entries]
    copy.base = new Map(this.base)
    copy.arrivals = this.arrivals
    copy.lastBaseFee = this.lastBaseFee
    return copy
  }

  private setBase(sender: Hex, nonce: bigint): void {
    this.base.set(sender, nonce)
    this.entries = this.entries.filter((e) => e.tx.sender !== sender || e.tx.nonce >= nonce)
  }

  /** A sender's pending entries: nonces base, base + 1, ... while present. */
  private run(sender: Hex): { tx: PooledTx; arrival: number }[] {
    const result = []
    let nonce = this.base.get(sender) ?? 0n
    for (;;) {
      const entry = this.entries.find((e) => e.tx.sender === sender && e.tx.nonce === nonce)
      if (entry === undefined) return result
      result.push(entry)
      nonce++
    }
  }

  private isPending(entry: { tx: PooledTx }): boolean {
    return this.run(entry.tx.sender).includes(entry as { tx: PooledTx; arrival: number })
  }

  add(tx: PooledTx, accountNonce: bigint): AddResult {
    if (this.entries.some((e) => e.tx.hash === tx.hash)) throw new MempoolError("KNOWN_TRANSACTION", `Known transaction: ${tx.hash}`)
    if (tx.nonce < accountNonce) {
      throw new MempoolError("NONCE_TOO_LOW", `Transaction nonce too low. Expected nonce to be at least ${accountNonce} but got ${tx.nonce}.`)
    }
    const existing = this.entries.find((e) => e.tx.sender === tx.sender && e.tx.nonce === tx.nonce)
    if (existing !== undefined) {
      const plus10 = (fee: bigint) => ((fee * 11n) % 10n === 0n ? (fee * 11n) / 10n : (fee * 11n) / 10n + 1n)
      const [what, needed, offered] =
        tx.maxFeePerGas < plus10(existing.tx.maxFeePerGas)
          ? ["maxFeePerGas", plus10(existing.tx.maxFeePerGas), tx.maxFeePerGas]
          : ["maxPriorityFeePerGas", plus10(existing.tx.maxPriorityFeePerGas), tx.maxPriorityFeePerGas]
      if (offered < needed) {
        throw new MempoolError(
          "REPLACEMENT_UNDERPRICED",
          `Replacement transaction underpriced. A gasPrice/${what} of at least ${needed} is necessary to replace the existing transaction with nonce ${tx.nonce}.`,
        )
      }
    }
    this.setBase(tx.sender, accountNonce)
    this.entries = this.entries.filter((e) => e !== existing)
    const entry = { tx, arrival: this.arrivals++ }
    this.entries.push(entry)
    const status = this.isPending(entry) ? "pending" : "queued"
    return existing === undefined ? { status } : { status, replaced: existing.tx.hash }
  }

  get(hash: Hex): PooledTx | undefined {
    return this.entries.find((e) => e.tx.hash === hash)?.tx
  }

  drop(hash: Hex): boolean {
    const before = this.entries.length
    this.entries = this.entries.filter((e) => e.tx.hash !== hash)
    return this.entries.length < before
  }

  /** EDR's miner loop: best head each time; a transaction that cannot go in removes its sender. */
  private mine(baseFee: bigint, gasLimit: bigint, minGasPrice: bigint, filter: boolean): PooledTx[] {
    const queues = new Map<Hex, { tx: PooledTx; arrival: number }[]>()
    for (const sender of new Set(this.entries.map((e) => e.tx.sender))) {
      const run = this.run(sender)
      if (run.length > 0) queues.set(sender, run)
    }
    const fee = (t: PooledTx) => {
      const capped = t.maxFeePerGas - baseFee
      return t.maxPriorityFeePerGas < capped ? t.maxPriorityFeePerGas : capped
    }
    const before = (x: { tx: PooledTx; arrival: number }, y: { tx: PooledTx; arrival: number }) => {
      if (this.order === "priority" && fee(x.tx) !== fee(y.tx)) return fee(x.tx) > fee(y.tx)
      return x.arrival < y.arrival
    }
    const result: PooledTx[] = []
    let left = gasLimit
    while (queues.size > 0) {
      let best: { tx: PooledTx; arrival: number } | undefined
      for (const queue of queues.values()) if (best === undefined || before(queue[0]!, best)) best = queue[0]!
      const t = (best as { tx: PooledTx }).tx
      const queue = queues.get(t.sender)!
      queue.shift()
      if (queue.length === 0) queues.delete(t.sender)
      if (filter && (t.maxFeePerGas < baseFee || t.maxFeePerGas < minGasPrice || t.gasLimit > left)) {
        queues.delete(t.sender)
        continue
      }
      result.push(t)
      left -= t.gasLimit
    }
    return result
  }

  select(baseFee: bigint, gasLimit: bigint, minGasPrice: bigint): PooledTx[] {
    this.lastBaseFee = baseFee
    return this.mine(baseFee, gasLimit, minGasPrice, true)
  }

  pending(): PooledTx[] {
    return this.mine(this.lastBaseFee, 0n, 0n, false)
  }

  queued(): PooledTx[] {
    return this.entries
      .filter((e) => !this.isPending(e))
      .sort((x, y) => x.arrival - y.arrival)
      .map((e) => e.tx)
  }

  onBlockMined(mined: readonly Hex[], nonceOf: (sender: Hex) => bigint): void {
    const touched = new Set(this.entries.filter((e) => mined.includes(e.tx.hash)).map((e) => e.tx.sender))
    this.entries = this.entries.filter((e) => !mined.includes(e.tx.hash))
    for (const sender of touched) this.setBase(sender, nonceOf(sender))
  }

  revalidate(nonceOf: (sender: Hex) => bigint, keep?: (tx: PooledTx) => boolean): void {
    for (const sender of new Set(this.entries.map((e) => e.tx.sender))) this.setBase(sender, nonceOf(sender))
    if (keep !== undefined) this.entries = this.entries.filter((e) => keep(e.tx))
  }

  nextNonce(sender: Hex, accountNonce: bigint): bigint {
    let nonce = accountNonce
    while (this.entries.some((e) => e.tx.sender === sender && e.tx.nonce === nonce)) nonce++
    return nonce
  }
}


/** How often each operation comes up (cumulative thresholds follow from the order). */
interface Profile {
  readonly add: number
  readonly drop: number
  readonly mine: number
  readonly revalidate: number
  readonly snapshot: number
  /** The rest: restore one of the last three snapshots. */
  readonly blockGasLimits: readonly bigint[]
  /**
   * Also selects for one block's settings after every step, as the node does for its pending
   * state after each send: `select` then extends its last result when a transaction is appended.
   */
  readonly selectEveryStep?: boolean
}

const BALANCED: Profile = {
  add: 0.5,
  drop: 0.08,
  mine: 0.17,
  revalidate: 0.07,
  snapshot: 0.08,
  blockGasLimits: [21_000n, 60_000n, 100_000n, 250_000n, 10n ** 9n],
}

/** Mostly adds and one-transaction blocks: the pool grows to a few hundred transactions. */
const GROWING: Profile = { add: 0.75, drop: 0.04, mine: 0.12, revalidate: 0.01, snapshot: 0.04, blockGasLimits: [21_000n, 30_000n] }

/** Mostly adds, selecting after each: the pool's kept selection is extended, or made again when it cannot be. */
const SELECTING: Profile = { add: 0.85, drop: 0.03, mine: 0.05, revalidate: 0.02, snapshot: 0.03, blockGasLimits: [10n ** 9n], selectEveryStep: true }

function runRandom(order: MempoolOrder, seed: number, senderCount: number, steps: number, profile: Profile = BALANCED): void {
  const rng = new Rng(seed)
  const rand = () => rng.next()
  const int = (n: number) => Math.floor(rand() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T
  const senders = Array.from({ length: senderCount }, (_, i) => address(0x1000 + i))
  const pool = new Mempool(order)
  let model = new Model(order)
  let chain = new Map<Hex, bigint>()
  const nonceOf = (sender: Hex) => chain.get(sender) ?? 0n
  const saved: { snapshot: MempoolSnapshot; model: Model; chain: Map<Hex, bigint> }[] = []
  const hashes = (txs: readonly PooledTx[]) => txs.map((t) => t.hash)
  const where = (step: number, what: string) => `seed ${seed}, step ${step}: ${what}`
  // The settings of the pending block, for selectEveryStep: a base fee, a gas limit some pools outgrow, a minimum price.
  const pendingBlock = [pick([0n, 5n, 12n]), pick([400_000n, 10n ** 9n]), pick([0n, 0n, 4n])] as const

  const randomFees = (): Fees => {
    if (rand() < 0.4) return { price: BigInt(int(30)) }
    const max = BigInt(int(30))
    return { max, tip: BigInt(int(Number(max) + 1)) }
  }

  for (let step = 0; step < steps; step++) {
    let roll = rand()
    if ((roll -= profile.add) < 0) {
      let t: PooledTx
      const pooled = model.entries
      if (pooled.length > 0 && rand() < 0.08) {
        t = pick(pooled).tx // known
      } else if (pooled.length > 0 && rand() < 0.2) {
        const old = pick(pooled).tx
        const bump = (fee: bigint) => pick([fee, (fee * 11n + 9n) / 10n, (fee * 11n + 9n) / 10n - 1n, fee * 2n + 1n])
        const max = bump(old.maxFeePerGas)
        const tip = bump(old.maxPriorityFeePerGas)
        t = tx("r", old.sender, old.nonce, { max, tip: tip > max ? max : tip }, pick([21_000n, 30_000n, 50_000n]))
      } else {
        const sender = pick(senders)
        // Mostly the next nonce (chains grow), else around the account nonce (gaps, stale, replacements).
        const nonce = rand() < 0.6 ? model.nextNonce(sender, nonceOf(sender)) : nonceOf(sender) + BigInt(int(7) - 1)
        t = tx("n", sender, nonce < 0n ? 0n : nonce, randomFees(), pick([21_000n, 21_000n, 30_000n, 50_000n, 100_000n]))
      }
      const outcome = (run: () => AddResult) => {
        try {
          return run()
        } catch (error) {
          if (!(error instanceof MempoolError)) throw error
          return { code: error.code, message: error.message }
        }
      }
      const accountNonce = nonceOf(t.sender)
      expect(outcome(() => pool.add(t, accountNonce)), where(step, "add")).to.deep.equal(outcome(() => model.add(t, accountNonce)))
    } else if ((roll -= profile.drop) < 0) {
      const hash = model.entries.length > 0 && rand() < 0.8 ? pick(model.entries).tx.hash : (`0x${"ab".repeat(32)}` as Hex)
      expect(pool.drop(hash), where(step, "drop")).to.equal(model.drop(hash))
    } else if ((roll -= profile.mine) < 0) {
      const baseFee = pick([0n, 0n, 3n, 10n, 25n])
      const gasLimit = pick(profile.blockGasLimits)
      const minGasPrice = pick([0n, 0n, 0n, 7n])
      const selected = pool.select(baseFee, gasLimit, minGasPrice)
      expect(hashes(selected), where(step, "select")).to.deep.equal(hashes(model.select(baseFee, gasLimit, minGasPrice)))
      if (rand() < 0.8) {
        // Mine them: each raises its sender's nonce; sometimes one more is "mined" as invalid.
        for (const t of selected) chain.set(t.sender, t.nonce + 1n)
        const mined = hashes(selected)
        if (model.entries.length > 0 && rand() < 0.2) mined.push(pick(model.entries).tx.hash)
        pool.onBlockMined(mined, nonceOf)
        model.onBlockMined(mined, nonceOf)
      }
    } else if ((roll -= profile.revalidate) < 0) {
      const sender = pick(senders)
      const nonce = nonceOf(sender) + BigInt(int(6) - 1)
      chain.set(sender, nonce < 0n ? 0n : nonce)
      const limit = pick([undefined, undefined, undefined, undefined, 30_000n, 60_000n])
      const keep = limit === undefined ? undefined : (t: PooledTx) => t.gasLimit <= limit
      pool.revalidate(nonceOf, keep)
      model.revalidate(nonceOf, keep)
    } else if ((roll -= profile.snapshot) < 0) {
      saved.push({ snapshot: pool.snapshot(), model: model.clone(), chain: new Map(chain) })
    } else if (saved.length > 0) {
      const back = pick(saved.slice(-3))
      pool.restore(back.snapshot)
      const lastBaseFee = model.lastBaseFee // pending()'s order is not part of a snapshot
      model = back.model.clone()
      model.lastBaseFee = lastBaseFee
      chain = new Map(back.chain)
    }

    if (profile.selectEveryStep === true) {
      const [baseFee, gasLimit, minGasPrice] = pendingBlock
      expect(hashes(pool.select(baseFee, gasLimit, minGasPrice)), where(step, "select after the step")).to.deep.equal(hashes(model.select(baseFee, gasLimit, minGasPrice)))
    }
    expect(hashes(pool.pending()), where(step, "pending")).to.deep.equal(hashes(model.pending()))
    expect(hashes(pool.queued()), where(step, "queued")).to.deep.equal(hashes(model.queued()))
    expect(pool.size(), where(step, "size")).to.equal(model.entries.length)
    expect(pool.queuedCount(), where(step, "queuedCount")).to.equal(model.queued().length)
    for (const sender of senders.slice(0, 3)) {
      expect(pool.nextNonce(sender, nonceOf(sender)), where(step, "nextNonce")).to.equal(model.nextNonce(sender, nonceOf(sender)))
    }
    if (model.entries.length > 0) {
      const probe = pick(model.entries).tx
      expect(pool.get(probe.hash), where(step, "get")).to.equal(probe)
    }
  }
}
