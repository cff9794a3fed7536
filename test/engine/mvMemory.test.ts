/**
 * The shared multi-version memory and the Block-STM scheduler, driven on one
 * thread. First the rules one by one: a read resolves to the highest writer
 * below it; credits add up down to a full value; an ESTIMATE stops a reader
 * (DependencyAbort) but not a validation; validation fails on a changed value
 * and passes on an unchanged one; a storage wipe hides older versions. Then a
 * model check: toy transactions run under random interleavings of several
 * virtual threads must give exactly what running them in order gives.
 */
import { expect } from "chai"

import { BlockHalted, Ctrl, allocateBlockMemory, layoutFor, viewsOf, type BlockViews } from "../../src/engine/blockMemory.js"
import { Field, accountKey, storageKey, type KeyRef } from "../../src/engine/keys.js"
import { FROM_CREDITS, FROM_PRE_STATE, FROM_WIPE, MvMemory, type RecordedRead, type RecordedWrite } from "../../src/engine/mvMemory.js"
import { ABORTING, EXECUTED, EXECUTING, EXECUTION, READY, Scheduler, VALIDATION, type Task } from "../../src/engine/scheduler.js"
import { DependencyAbort } from "../../src/engine/txView.js"
import type { Hex } from "../../src/engine/types.js"

const A: Hex = "0x00000000000000000000000000000000000000aa"
const B: Hex = "0x00000000000000000000000000000000000000bb"
const slot = (i: number): Hex => `0x${i.toString(16).padStart(64, "0")}`

function setup(transactions: number): { views: BlockViews; mv: MvMemory; scheduler: Scheduler } {
  const views = viewsOf(allocateBlockMemory(layoutFor(transactions)))
  return { views, mv: new MvMemory(views), scheduler: new Scheduler(views) }
}

const full = (keyIndex: number, value: bigint): RecordedWrite => ({ keyIndex, value, delta: false })
const credit = (keyIndex: number, value: bigint): RecordedWrite => ({ keyIndex, value, delta: true })

/** Resolves and returns what `resolve` reports besides the value. */
function look(mv: MvMemory, index: number, tx: number, wipedBy = -1, throughEstimates = false) {
  const value = mv.resolve(index, tx, wipedBy, throughEstimates)
  return { value, found: mv.found, versionTx: mv.versionTx, versionIncarnation: mv.versionIncarnation }
}

/** A read as the worker records it: the version `resolve` reported, and the whole value seen. */
function readOf(mv: MvMemory, index: number, tx: number, base: bigint, epochIndex = -1, wipedBy = -1): RecordedRead {
  const value = mv.resolve(index, tx, wipedBy)
  return { keyIndex: index, epochIndex, versionTx: mv.versionTx, versionIncarnation: mv.versionIncarnation, value: mv.found ? value : base + value }
}

describe("engine: MvMemory", function () {
  describe("keys", function () {
    it("gives one index per key, and keyAt gives the key back", function () {
      const { mv } = setup(4)
      const keys: KeyRef[] = []
      for (const address of [A, B]) {
        for (const field of [Field.exists, Field.nonce, Field.balance, Field.code, Field.storageEpoch] as const) keys.push(accountKey(address, field))
        for (let s = 0; s < 200; s++) keys.push(storageKey(address, slot(s)))
      }
      const indexes = keys.map((key) => mv.keyIndex(key))
      expect(new Set(indexes).size).to.equal(keys.length)
      keys.forEach((key, i) => {
        expect(mv.keyIndex(key), key.id).to.equal(indexes[i])
        expect(mv.keyAt(indexes[i] as number).id).to.equal(key.id)
      })
    })

    it("a full key table halts the block and asks for more memory", function () {
      const { mv, views } = setup(1)
      const capacity = views.layout.keyCapacity
      expect(() => {
        for (let s = 0; s <= capacity; s++) mv.keyIndex(storageKey(A, slot(s)))
      }).to.throw(BlockHalted)
      expect(Atomics.load(views.ctrl, Ctrl.overflow)).to.equal(1)
      expect(Atomics.load(views.ctrl, Ctrl.halt)).to.equal(1)
    })
  })

  describe("versions", function () {
    it("with no writer below, the value comes from the pre-state", function () {
      const { mv } = setup(8)
      const k = mv.keyIndex(accountKey(A, Field.balance))
      expect(look(mv, k, 5)).to.deep.equal({ value: 0n, found: false, versionTx: FROM_PRE_STATE, versionIncarnation: 0 })
      mv.record(5, 0, [full(k, 9n)], [])
      expect(look(mv, k, 5).found, "a transaction does not see its own write").to.equal(false)
      expect(look(mv, k, 3).found).to.equal(false)
    })

    it("a read sees the highest writer below it, whatever order the writes came in", function () {
      const { mv } = setup(12)
      const k = mv.keyIndex(storageKey(A, slot(1)))
      mv.record(8, 0, [full(k, 30n)], [])
      mv.record(2, 3, [full(k, 10n)], [])
      mv.record(5, 1, [full(k, 20n)], [])
      const expected: [number, bigint | undefined, number, number][] = [
        [0, undefined, FROM_PRE_STATE, 0],
        [2, undefined, FROM_PRE_STATE, 0],
        [3, 10n, 2, 3],
        [5, 10n, 2, 3],
        [6, 20n, 5, 1],
        [8, 20n, 5, 1],
        [9, 30n, 8, 0],
        [11, 30n, 8, 0],
      ]
      for (const [tx, value, versionTx, incarnation] of expected) {
        const seen = look(mv, k, tx)
        expect(seen.found, `tx ${tx}`).to.equal(value !== undefined)
        if (value !== undefined) expect(seen.value, `tx ${tx}`).to.equal(value)
        expect([seen.versionTx, seen.versionIncarnation], `tx ${tx}`).to.deep.equal([versionTx, incarnation])
      }
    })

    it("keys are independent", function () {
      const { mv } = setup(4)
      const a = mv.keyIndex(accountKey(A, Field.nonce))
      const b = mv.keyIndex(accountKey(B, Field.nonce))
      mv.record(0, 0, [full(a, 1n)], [])
      expect(look(mv, a, 3).value).to.equal(1n)
      expect(look(mv, b, 3).found).to.equal(false)
    })

    it("credits add up down to the nearest full value", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(accountKey(B, Field.balance))
      mv.record(1, 0, [full(k, 100n)], [])
      mv.record(3, 0, [credit(k, 5n)], [])
      mv.record(4, 0, [credit(k, 7n)], [])
      expect(look(mv, k, 2)).to.deep.equal({ value: 100n, found: true, versionTx: 1, versionIncarnation: 0 })
      expect(look(mv, k, 4)).to.deep.equal({ value: 105n, found: true, versionTx: FROM_CREDITS, versionIncarnation: 0 })
      expect(look(mv, k, 9)).to.deep.equal({ value: 112n, found: true, versionTx: FROM_CREDITS, versionIncarnation: 0 })
      // A full write above the credits hides them.
      mv.record(6, 0, [full(k, 1n)], [])
      expect(look(mv, k, 9)).to.deep.equal({ value: 1n, found: true, versionTx: 6, versionIncarnation: 0 })
    })

    it("credits with no full value below them are added to the pre-state by the reader", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(accountKey(B, Field.balance))
      mv.record(2, 0, [credit(k, 5n)], [])
      mv.record(7, 0, [credit(k, 3n)], [])
      expect(look(mv, k, 8)).to.deep.equal({ value: 8n, found: false, versionTx: FROM_CREDITS, versionIncarnation: 0 })
      expect(look(mv, k, 2).found).to.equal(false)
      expect(look(mv, k, 2).versionTx).to.equal(FROM_PRE_STATE)
    })

    it("an ESTIMATE stops a reader above it with the blocking transaction, but not a reader below or a validation", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(storageKey(A, slot(2)))
      mv.record(1, 0, [full(k, 11n)], [])
      mv.record(3, 0, [full(k, 33n)], [])
      mv.convertWritesToEstimates(3)
      let caught: unknown
      try {
        mv.resolve(k, 6)
      } catch (error) {
        caught = error
      }
      expect(caught).to.be.instanceOf(DependencyAbort)
      expect((caught as DependencyAbort).blockingTx).to.equal(3)
      expect(look(mv, k, 3).value, "readers at or below the aborted transaction are unaffected").to.equal(11n)
      expect(look(mv, k, 6, -1, true)).to.deep.equal({ value: 33n, found: true, versionTx: 3, versionIncarnation: 0 })
      // Its next incarnation writes again: the estimate is gone.
      mv.record(3, 1, [full(k, 34n)], [])
      expect(look(mv, k, 6)).to.deep.equal({ value: 34n, found: true, versionTx: 3, versionIncarnation: 1 })
    })

    it("an ESTIMATE on a credit stops readers too", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(accountKey(B, Field.balance))
      mv.record(2, 0, [credit(k, 5n)], [])
      mv.convertWritesToEstimates(2)
      expect(() => mv.resolve(k, 4)).to.throw(DependencyAbort)
    })
  })

  describe("record", function () {
    it("reports whether higher transactions can read something new", function () {
      const { mv } = setup(10)
      const a = mv.keyIndex(storageKey(A, slot(1)))
      const b = mv.keyIndex(storageKey(A, slot(2)))
      expect(mv.record(4, 0, [full(a, 1n), full(b, 2n)], []), "new keys").to.equal(true)
      expect(mv.record(4, 1, [full(a, 1n), full(b, 2n)], []), "same writes again").to.equal(false)
      expect(mv.record(4, 2, [full(a, 1n), full(b, 3n)], []), "a different value").to.equal(true)
      expect(mv.record(4, 3, [full(a, 1n), credit(b, 3n)], []), "a full value became a credit").to.equal(true)
      expect(mv.record(4, 4, [full(a, 1n)], []), "a write dropped").to.equal(true)
      expect(look(mv, b, 9).found, "the dropped write is gone").to.equal(false)
      expect(look(mv, a, 9)).to.deep.equal({ value: 1n, found: true, versionTx: 4, versionIncarnation: 4 })
    })

    it("rewriting an ESTIMATE with the same value is not a change", function () {
      const { mv } = setup(10)
      const a = mv.keyIndex(storageKey(A, slot(1)))
      mv.record(4, 0, [full(a, 1n)], [])
      mv.convertWritesToEstimates(4)
      expect(mv.record(4, 1, [full(a, 1n)], [])).to.equal(false)
      expect(() => mv.resolve(a, 9)).to.not.throw()
    })
  })

  describe("validate", function () {
    const BASE = 1000n
    const base = () => BASE

    it("passes when nothing changed, and for a transaction that read nothing", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(storageKey(A, slot(1)))
      mv.record(2, 0, [full(k, 10n)], [])
      mv.record(5, 0, [], [readOf(mv, k, 5, BASE)])
      expect(mv.validate(5, base)).to.equal(true)
      expect(mv.validate(6, base), "no read set recorded").to.equal(true)
    })

    it("passes when a lower transaction wrote again with the same value (new version, same value)", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(storageKey(A, slot(1)))
      mv.record(2, 0, [full(k, 10n)], [])
      mv.record(5, 0, [], [readOf(mv, k, 5, BASE)])
      mv.record(2, 1, [full(k, 10n)], [])
      expect(mv.validate(5, base)).to.equal(true)
      mv.record(3, 0, [full(k, 10n)], []) // a new writer in between, same value
      expect(mv.validate(5, base)).to.equal(true)
    })

    it("fails when the value seen changed", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(storageKey(A, slot(1)))
      mv.record(2, 0, [full(k, 10n)], [])
      mv.record(5, 0, [], [readOf(mv, k, 5, BASE)])
      mv.record(2, 1, [full(k, 11n)], [])
      expect(mv.validate(5, base)).to.equal(false)
    })

    it("fails when a new lower writer appears with another value, or the write seen is dropped", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(storageKey(A, slot(1)))
      mv.record(5, 0, [], [readOf(mv, k, 5, BASE)]) // saw the pre-state
      expect(mv.validate(5, base)).to.equal(true)
      mv.record(1, 0, [full(k, BASE)], []) // writes what the pre-state held
      expect(mv.validate(5, base), "same value as the pre-state").to.equal(true)
      mv.record(1, 1, [full(k, 7n)], [])
      expect(mv.validate(5, base)).to.equal(false)

      const { mv: mv2 } = setup(10)
      const k2 = mv2.keyIndex(storageKey(A, slot(1)))
      mv2.record(2, 0, [full(k2, 10n)], [])
      mv2.record(5, 0, [], [readOf(mv2, k2, 5, BASE)])
      mv2.record(2, 1, [], []) // the write is gone: the reader now sees the pre-state
      expect(mv2.validate(5, base)).to.equal(false)
    })

    it("reads through an ESTIMATE: the aborted incarnation's value still counts", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(storageKey(A, slot(1)))
      mv.record(2, 0, [full(k, 10n)], [])
      mv.record(5, 0, [], [readOf(mv, k, 5, BASE)])
      mv.convertWritesToEstimates(2)
      expect(mv.validate(5, base)).to.equal(true)
    })

    it("sums credits again, over the pre-state", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(accountKey(B, Field.balance))
      mv.record(1, 0, [credit(k, 5n)], [])
      mv.record(3, 0, [credit(k, 7n)], [])
      const read = readOf(mv, k, 6, BASE)
      expect(read.versionTx).to.equal(FROM_CREDITS)
      expect(read.value).to.equal(BASE + 12n)
      mv.record(6, 0, [], [read])
      expect(mv.validate(6, base)).to.equal(true)
      mv.record(3, 1, [credit(k, 7n)], [])
      expect(mv.validate(6, base), "same credits, new incarnation").to.equal(true)
      mv.record(3, 2, [credit(k, 8n)], [])
      expect(mv.validate(6, base)).to.equal(false)
    })

    it("fails on a read of a key that a lower transaction now writes in full instead of crediting", function () {
      const { mv } = setup(10)
      const k = mv.keyIndex(accountKey(B, Field.balance))
      mv.record(3, 0, [credit(k, 7n)], [])
      mv.record(6, 0, [], [readOf(mv, k, 6, BASE)])
      mv.record(3, 1, [full(k, 7n)], [])
      expect(mv.validate(6, base)).to.equal(false)
    })
  })

  describe("storage wipes", function () {
    it("resolve ignores versions below the wiping transaction; the wiper's own writes count", function () {
      const { mv } = setup(10)
      const s = mv.keyIndex(storageKey(A, slot(1)))
      mv.record(1, 0, [full(s, 5n)], [])
      mv.record(4, 0, [full(s, 9n)], [])
      expect(look(mv, s, 6, 3)).to.deep.equal({ value: 9n, found: true, versionTx: 4, versionIncarnation: 0 })
      expect(look(mv, s, 6, 4), "written by the wiper after its wipe").to.deep.equal({ value: 9n, found: true, versionTx: 4, versionIncarnation: 0 })
      expect(look(mv, s, 6, 5)).to.deep.equal({ value: 0n, found: true, versionTx: FROM_WIPE, versionIncarnation: 5 })
      expect(look(mv, s, 4, 3)).to.deep.equal({ value: 0n, found: true, versionTx: FROM_WIPE, versionIncarnation: 3 })
      expect(look(mv, s, 6, -1).value, "no wipe").to.equal(9n)
    })

    it("credits above a wipe start from zero", function () {
      const { mv } = setup(10)
      const s = mv.keyIndex(storageKey(A, slot(1)))
      mv.record(1, 0, [full(s, 5n)], [])
      mv.record(4, 0, [credit(s, 2n)], [])
      expect(look(mv, s, 6, 3)).to.deep.equal({ value: 2n, found: true, versionTx: FROM_CREDITS, versionIncarnation: 0 })
    })

    it("validation of a slot read sees a wipe that appeared below it (through the storage epoch)", function () {
      const BASE = 50n
      const { mv } = setup(10)
      const epoch = mv.keyIndex(accountKey(A, Field.storageEpoch))
      const s = mv.keyIndex(storageKey(A, slot(1)))
      const z = mv.keyIndex(storageKey(A, slot(2)))
      mv.record(1, 0, [full(s, 5n)], [])
      // Transaction 6 reads slot 1 (written by 1) and slot 2 (zero in the pre-state), under epoch 0.
      mv.record(6, 0, [], [readOf(mv, s, 6, BASE, epoch), readOf(mv, z, 6, 0n, epoch)])
      const baseOf = (index: number) => (index === s ? BASE : 0n)
      expect(mv.validate(6, baseOf)).to.equal(true)
      // Transaction 3 wipes A's storage (epoch = 3 + 1): slot 1 now reads 0, slot 2 is still 0.
      mv.record(3, 0, [full(epoch, 4n)], [])
      expect(mv.validate(6, baseOf)).to.equal(false)
      // Had transaction 6 read only slot 2, the wipe would change nothing it saw.
      mv.record(6, 1, [], [{ keyIndex: z, epochIndex: epoch, versionTx: FROM_PRE_STATE, versionIncarnation: 0, value: 0n }])
      expect(mv.validate(6, baseOf)).to.equal(true)
    })

    it("a slot read after a wipe fails validation when the wipe goes away", function () {
      const { mv } = setup(10)
      const epoch = mv.keyIndex(accountKey(A, Field.storageEpoch))
      const s = mv.keyIndex(storageKey(A, slot(1)))
      const baseOf = (index: number) => (index === s ? 77n : 0n)
      mv.record(3, 0, [full(epoch, 4n)], [])
      const read = readOf(mv, s, 6, 77n, epoch, 3)
      expect(read).to.deep.equal({ keyIndex: s, epochIndex: epoch, versionTx: FROM_WIPE, versionIncarnation: 3, value: 0n })
      mv.record(6, 0, [], [read])
      expect(mv.validate(6, baseOf)).to.equal(true)
      mv.record(3, 1, [], []) // transaction 3 no longer wipes: the pre-state value 77 shows again
      expect(mv.validate(6, baseOf)).to.equal(false)
    })
  })

  describe("code", function () {
    it("publishes code by hash, once", function () {
      const { mv } = setup(2)
      const code = Uint8Array.from([0x60, 0x00, 0x60, 0x00, 0xf3])
      mv.putCode(123n, code)
      mv.putCode(123n, Uint8Array.from([1, 2, 3]))
      mv.putCode(2n ** 255n + 123n, Uint8Array.from([9]))
      expect(mv.code(123n)).to.deep.equal(code)
      expect(mv.code(2n ** 255n + 123n)).to.deep.equal(Uint8Array.from([9]))
      expect(mv.code(124n)).to.equal(undefined)
    })
  })
})

/** The next task; nextTask may come back empty-handed while indexes move (a worker simply asks again). */
function nextTask(scheduler: Scheduler): Task {
  for (let tries = 0; tries < 10; tries++) {
    const task = scheduler.nextTask()
    if (task !== undefined) return task
  }
  throw new Error("no task")
}

/** The next execution task, passing every validation on the way. */
function nextExecution(scheduler: Scheduler): Task {
  for (;;) {
    const task = nextTask(scheduler)
    if (task.kind === EXECUTION) return task
    const follow = scheduler.finishValidation(task.tx, false)
    if (follow !== undefined) return follow
  }
}

describe("engine: Scheduler", function () {
  it("hands out executions in order, then validations, and is done when all are validated", function () {
    const { scheduler } = setup(3)
    const seen: string[] = []
    let task: Task | undefined
    for (let steps = 0; !scheduler.done(); steps++) {
      expect(steps, "the scheduler makes progress").to.be.below(100)
      task ??= scheduler.nextTask()
      if (task === undefined) continue
      seen.push(`${task.kind === EXECUTION ? "E" : "V"}${task.tx}.${task.incarnation}`)
      task = task.kind === EXECUTION ? scheduler.finishExecution(task.tx, task.incarnation, true) : scheduler.finishValidation(task.tx, false)
    }
    expect(seen.filter((s) => s.startsWith("E"))).to.deep.equal(["E0.0", "E1.0", "E2.0"])
    for (const tx of [0, 1, 2]) expect(seen, `validated ${tx}`).to.include(`V${tx}.0`)
    expect(seen.indexOf("V0.0")).to.be.greaterThan(seen.indexOf("E0.0"))
  })

  it("a dependency parks a transaction until the blocking one finishes", function () {
    const { scheduler, views } = setup(4)
    const t0 = nextTask(scheduler)
    const t1 = nextTask(scheduler)
    expect([t0, t1]).to.deep.equal([
      { kind: EXECUTION, tx: 0, incarnation: 0 },
      { kind: EXECUTION, tx: 1, incarnation: 0 },
    ])
    expect(Atomics.load(views.status, 0) & 3).to.equal(EXECUTING)
    // Transaction 1 hit an ESTIMATE of transaction 0.
    expect(scheduler.addDependency(1, 0)).to.equal(true)
    expect(Atomics.load(views.status, 1) & 3).to.equal(ABORTING)
    scheduler.finishExecution(0, 0, true)
    expect(Atomics.load(views.status, 0)).to.equal((0 << 2) | EXECUTED)
    expect(Atomics.load(views.status, 1), "ready again, next incarnation").to.equal((1 << 2) | READY)
    expect(Atomics.load(views.ctrl, Ctrl.executionIdx), "execution goes back to it").to.equal(1)
    const again = nextExecution(scheduler)
    expect(again).to.deep.equal({ kind: EXECUTION, tx: 1, incarnation: 1 })
    // A dependency on a transaction that has already executed is refused: run again at once.
    expect(scheduler.addDependency(1, 0)).to.equal(false)
    expect(Atomics.load(views.status, 1) & 3).to.equal(EXECUTING)
  })

  it("only one failed validation of an incarnation aborts it, and it is re-executed", function () {
    const { scheduler, views } = setup(2)
    const t0 = nextTask(scheduler)
    const t1 = nextTask(scheduler)
    expect(scheduler.finishExecution(t0.tx, 0, true)).to.equal(undefined)
    expect(scheduler.finishExecution(t1.tx, 0, true)).to.equal(undefined)
    const v0 = nextTask(scheduler)
    expect(v0).to.deep.equal({ kind: VALIDATION, tx: 0, incarnation: 0 })
    expect(scheduler.tryValidationAbort(0, 0)).to.equal(true)
    expect(scheduler.tryValidationAbort(0, 0), "already aborted").to.equal(false)
    const next = scheduler.finishValidation(0, true)
    expect(next).to.deep.equal({ kind: EXECUTION, tx: 0, incarnation: 1 })
    expect(Atomics.load(views.ctrl, Ctrl.validationIdx), "higher transactions are validated again").to.equal(1)
    expect(scheduler.incarnationOf(0)).to.equal(1)
  })
})

// ---------------------------------------------------------------------------
// Model check: a toy block under random interleavings of virtual threads.
//
// The toy state is KEYS storage slots of account A (which a transaction may
// wipe, as SELFDESTRUCT or a CREATE over an old address does), and the
// balance of B, which most transactions credit without reading (as fees go to
// a coinbase) and a few read or overwrite.

class Rng {
  constructor(private seed: number) {}
  next(): number {
    this.seed = (this.seed + 0x6d2b79f5) | 0
    let t = this.seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
}

const KEYS = 6
/** B's balance: the key most transactions credit. Keys 0..KEYS-1 are A's slots. */
const CREDITED = KEYS

/** A toy transaction: reads some keys, then wipes A's storage, then writes values computed from what it read, and credits. */
interface ToyTx {
  readonly reads: readonly number[]
  readonly wipe: boolean
  readonly writes: readonly number[]
  readonly credits: readonly (readonly [key: number, amount: bigint])[]
}

function toyBlock(rng: Rng, n: number, wipes: boolean): ToyTx[] {
  return Array.from({ length: n }, () => {
    const reads = Array.from({ length: rng.int(3) }, () => (rng.int(8) === 0 ? CREDITED : rng.int(KEYS)))
    const writes = Array.from({ length: rng.int(3) }, () => (rng.int(12) === 0 ? CREDITED : rng.int(KEYS)))
    const credits: [number, bigint][] = rng.int(2) === 0 ? [[CREDITED, BigInt(1 + rng.int(9))]] : []
    return { reads: [...new Set(reads)], wipe: wipes && rng.int(10) === 0, writes: [...new Set(writes)], credits }
  })
}

function baseValue(key: number): bigint {
  return BigInt(key + 1) * 100n
}

/**
 * What a transaction writes, from what it read: deterministic in its index and
 * the values. One write per key, as the engine records them: a credit to a key
 * the transaction also overwrote is folded into the full value.
 */
function effects(tx: ToyTx, index: number, seen: readonly bigint[]): { key: number; value: bigint; delta: boolean }[] {
  const sum = seen.reduce((a, b) => a + b, 0n)
  const out = new Map<number, { key: number; value: bigint; delta: boolean }>()
  tx.writes.forEach((key, i) => out.set(key, { key, value: sum * 3n + BigInt(index * 7 + i), delta: false }))
  for (const [key, amount] of tx.credits) {
    const previous = out.get(key)
    out.set(key, previous === undefined ? { key, value: amount, delta: true } : { ...previous, value: previous.value + amount })
  }
  return [...out.values()]
}

function runSequentially(block: readonly ToyTx[]): { state: bigint[]; reads: bigint[][] } {
  const state = Array.from({ length: KEYS + 1 }, (_, k) => baseValue(k))
  const reads: bigint[][] = []
  block.forEach((tx, index) => {
    const seen = tx.reads.map((key) => state[key] as bigint)
    reads.push(seen)
    if (tx.wipe) for (let k = 0; k < KEYS; k++) state[k] = 0n
    for (const e of effects(tx, index, seen)) state[e.key] = e.delta ? (state[e.key] as bigint) + e.value : e.value
  })
  return { state, reads }
}

interface VirtualThread {
  task?: Task
  /** An execution that has read, but not yet published its writes: other threads run in between. */
  pending?: { tx: number; incarnation: number; reads: RecordedRead[]; seen: bigint[] }
}

function runBlockStm(block: readonly ToyTx[], threads: number, rng: Rng) {
  const n = block.length
  const { mv, scheduler, views } = setup(n)
  const index = Array.from({ length: KEYS + 1 }, (_, k) => mv.keyIndex(k === CREDITED ? accountKey(B, Field.balance) : storageKey(A, slot(k))))
  const epoch = mv.keyIndex(accountKey(A, Field.storageEpoch))
  const keyOfIndex = new Map(index.map((i, k) => [i, k]))
  const base = (i: number) => (i === epoch ? 0n : baseValue(keyOfIndex.get(i) as number))
  const lastSeen = new Map<number, { incarnation: number; seen: bigint[] }>()

  /** A transaction's reads as the engine makes them: a slot through A's storage epoch. */
  const readAll = (tx: number, keys: readonly number[]): { reads: RecordedRead[]; seen: bigint[] } => {
    const reads: RecordedRead[] = []
    const seen: bigint[] = []
    let wipedBy: number | undefined
    for (const key of keys) {
      if (key === CREDITED) {
        const read = readOf(mv, index[key] as number, tx, baseValue(key))
        reads.push(read)
        seen.push(read.value)
        continue
      }
      if (wipedBy === undefined) {
        const epochRead = readOf(mv, epoch, tx, 0n)
        reads.push(epochRead)
        wipedBy = epochRead.value === 0n ? -1 : Number(epochRead.value) - 1
      }
      const read = readOf(mv, index[key] as number, tx, baseValue(key), epoch, wipedBy)
      reads.push(read)
      seen.push(read.value)
    }
    return { reads, seen }
  }

  const vts: VirtualThread[] = Array.from({ length: threads }, () => ({}))
  let steps = 0
  let validationAborts = 0
  let dependencyWaits = 0
  while (!scheduler.done()) {
    if (++steps > 200_000) throw new Error("Block-STM made no progress")
    const vt = vts[rng.int(threads)] as VirtualThread
    if (vt.pending !== undefined) {
      const { tx, incarnation, reads, seen } = vt.pending
      vt.pending = undefined
      const toy = block[tx] as ToyTx
      const writes: RecordedWrite[] = effects(toy, tx, seen).map((e) => ({ keyIndex: index[e.key] as number, value: e.value, delta: e.delta }))
      if (toy.wipe) writes.push(full(epoch, BigInt(tx + 1)))
      const changed = mv.record(tx, incarnation, writes, reads)
      lastSeen.set(tx, { incarnation, seen })
      vt.task = scheduler.finishExecution(tx, incarnation, changed)
      continue
    }
    vt.task ??= scheduler.nextTask()
    const task = vt.task
    if (task === undefined) continue
    if (task.kind === EXECUTION) {
      try {
        vt.pending = { tx: task.tx, incarnation: task.incarnation, ...readAll(task.tx, (block[task.tx] as ToyTx).reads) }
        vt.task = undefined
      } catch (error) {
        if (!(error instanceof DependencyAbort)) throw error
        if (scheduler.addDependency(task.tx, error.blockingTx)) {
          dependencyWaits++
          vt.task = undefined
        } // else: it finished meanwhile, run again
      }
    } else {
      const valid = mv.validate(task.tx, base)
      const aborted = !valid && scheduler.tryValidationAbort(task.tx, task.incarnation)
      if (aborted) {
        validationAborts++
        mv.convertWritesToEstimates(task.tx)
      }
      vt.task = scheduler.finishValidation(task.tx, aborted)
    }
  }
  expect(Atomics.load(views.ctrl, Ctrl.halt)).to.equal(0)

  const finalEpoch = mv.resolve(epoch, n)
  const wipedBy = mv.found && finalEpoch !== 0n ? Number(finalEpoch) - 1 : -1
  const state = index.map((i, k) => {
    const value = mv.resolve(i, n, k === CREDITED ? -1 : wipedBy)
    return mv.found ? value : baseValue(k) + value
  })
  const reads = block.map((_, tx) => {
    const last = lastSeen.get(tx)
    expect(last?.incarnation, `tx ${tx}: its last recorded execution is the final incarnation`).to.equal(scheduler.incarnationOf(tx))
    return last?.seen ?? []
  })
  let reExecutions = 0
  for (let tx = 0; tx < n; tx++) reExecutions += scheduler.incarnationOf(tx)
  return { state, reads, reExecutions, validationAborts, dependencyWaits }
}

describe("engine: Block-STM on one thread, interleaved (model check)", function () {
  for (const wipes of [false, true]) {
    it(`random toy blocks under random interleavings equal sequential execution${wipes ? ", with storage wipes" : ""}`, function () {
      const totals = { reExecutions: 0, validationAborts: 0, dependencyWaits: 0 }
      for (let seed = 1; seed <= 100; seed++) {
        const rng = new Rng(seed)
        const block = toyBlock(rng, 5 + rng.int(30), wipes)
        const expected = runSequentially(block)
        for (const threads of [1, 2, 4]) {
          const actual = runBlockStm(block, threads, new Rng(seed * 100 + threads))
          expect(actual.state, `seed ${seed}, ${threads} threads: final state`).to.deep.equal(expected.state)
          expect(actual.reads, `seed ${seed}, ${threads} threads: what each transaction read`).to.deep.equal(expected.reads)
          totals.reExecutions += actual.reExecutions
          totals.validationAborts += actual.validationAborts
          totals.dependencyWaits += actual.dependencyWaits
        }
      }
      // The interleavings really produced conflicts, of both kinds (otherwise this checks little).
      expect(totals.reExecutions).to.be.greaterThan(100)
      expect(totals.validationAborts).to.be.greaterThan(20)
      expect(totals.dependencyWaits).to.be.greaterThan(20)
    })
  }

  it("a fully chained block (each transaction reads what the previous wrote)", function () {
    const block: ToyTx[] = Array.from({ length: 40 }, () => ({ reads: [0], wipe: false, writes: [0], credits: [[CREDITED, 1n]] }))
    const expected = runSequentially(block)
    for (let seed = 1; seed <= 10; seed++) {
      const actual = runBlockStm(block, 3, new Rng(seed))
      expect(actual.state).to.deep.equal(expected.state)
      expect(actual.reads).to.deep.equal(expected.reads)
      expect(actual.reExecutions).to.be.greaterThan(0)
    }
  })
})
