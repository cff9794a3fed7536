/**
 * The piscina worker. Each thread keeps a replica of the pre-block state,
 * brought up to date by the diffs of the blocks it missed, and runs Block-STM
 * on a block's shared memory until the block is done: it takes tasks from the
 * shared scheduler and reads versions from the shared MvMemory, never waiting
 * on the main thread. It returns the outcomes of the final incarnations it ran.
 */
import { threadId } from "node:worker_threads"

import type { TypedTransaction } from "@ethereumjs/tx"

import { BlockHalted, Ctrl, viewsOf, type BlockMemory, type BlockViews } from "./blockMemory.js"
import { blockFor, hardforkOf } from "./chain.js"
import { useNativeGate } from "./crypto.js"
import { Field, accountKey, keyFromId, type KeyRef } from "./keys.js"
import { finalize, type FinalTx } from "./finalize.js"
import { MvMemory, type RecordedRead, type RecordedWrite } from "./mvMemory.js"
import { BlockOverlay, type WriteEntry } from "./overlay.js"
import { EXECUTED, EXECUTION, Scheduler, type Task } from "./scheduler.js"
import { linkParties, readParties, writeParties } from "./senders.js"
import { vmFor } from "./sequential.js"
import { DependencyAbort, type VersionedSource } from "./txView.js"
import type { BlockInput, ChainConfig, Hex } from "./types.js"
import { invalidOutcome, type BlockVm, type TxOutcome } from "./vm.js"
import { WorldState, type SerializedState, type StateReader, type VersionedDiff } from "./worldState.js"

/** How a task brings the thread's replica to the block's pre-state. */
export interface ReplicaSync {
  readonly stateId: string
  readonly version: number
  /** Diffs after some version, oldest first; a replica applies the ones it lacks. */
  readonly diffs: readonly VersionedDiff[]
  /** The whole state, when some thread may have no usable replica. */
  readonly full?: SerializedState
}

export interface BlockTask {
  readonly kind: "block"
  readonly memory: BlockMemory
  readonly block: BlockInput
  readonly chain: ChainConfig
  readonly preWrites: readonly WriteEntry[]
  readonly sync: ReplicaSync
  readonly recordAccess: boolean
  readonly trace: boolean
  /** The pool's NativeGate: native calls pass it, so the pool can terminate threads safely. */
  readonly nativeGate: SharedArrayBuffer
  /** Test hook: the thread that executes this transaction stops answering. */
  readonly hangAtTx?: number
}

export interface SyncTask {
  readonly kind: "sync"
  readonly sync: ReplicaSync
  /** Every sync task waits here until all have arrived, so each lands on its own thread. */
  readonly barrier: SharedArrayBuffer
  readonly parties: number
  readonly chain: ChainConfig
  readonly warmHardfork: string
  readonly nativeGate: SharedArrayBuffer
}

export interface TaskResult {
  readonly threadId: number
  readonly stateId: string
  readonly version: number
  /** False when the replica could not be brought up to date (the main thread must send the full state). */
  readonly synced: boolean
  readonly outcomes: readonly FinalTx[]
}

let replica: WorldState | undefined

function syncReplica(sync: ReplicaSync): boolean {
  if (replica !== undefined && replica.id === sync.stateId && replica.version <= sync.version) {
    for (const entry of sync.diffs) {
      if (entry.version <= replica.version) continue
      if (entry.version !== replica.version + 1) break
      replica.applyDiff(entry.diff)
    }
    if (replica.version === sync.version) return true
  }
  if (sync.full === undefined) return false
  replica = WorldState.deserialize(sync.full)
  return replica.version === sync.version
}

export default async function run(task: BlockTask | SyncTask): Promise<TaskResult> {
  useNativeGate(task.nativeGate)
  const synced = syncReplica(task.sync)
  const result = { threadId, stateId: task.sync.stateId, version: task.sync.version, synced }
  if (task.kind === "sync") {
    await vmFor(task.chain, task.warmHardfork)
    const barrier = new Int32Array(task.barrier)
    Atomics.add(barrier, 0, 1)
    while (Atomics.load(barrier, 0) < task.parties) Atomics.wait(barrier, 0, Atomics.load(barrier, 0), 5)
    Atomics.notify(barrier, 0)
    return { ...result, outcomes: [] }
  }
  if (!synced) {
    Atomics.store(viewsOf(task.memory).ctrl, Ctrl.halt, 1)
    return { ...result, outcomes: [] }
  }
  return { ...result, outcomes: await runBlock(task, replica as WorldState) }
}

/** Reads through the multi-version memory, falling back to the replica (plus system writes). */
class MvSource implements VersionedSource {
  private readonly indexes = new Map<string, number>()
  private readonly baseValues = new Map<number, bigint>()
  /** Version of each key read by the current execution: tx * 4096 + incarnation, or a FROM_* kind. */
  readonly versions = new Map<string, number>()

  constructor(
    readonly mv: MvMemory,
    private readonly base: StateReader,
  ) {}

  indexOf(key: KeyRef): number {
    let index = this.indexes.get(key.id)
    if (index === undefined) {
      index = this.mv.keyIndex(key)
      this.indexes.set(key.id, index)
    }
    return index
  }

  indexOfId(id: string, key: () => KeyRef): number {
    return this.indexes.get(id) ?? this.indexOf(key())
  }

  baseValue = (index: number, key?: KeyRef): bigint => {
    let value = this.baseValues.get(index)
    if (value === undefined) {
      value = this.base.read(key ?? this.mv.keyAt(index))
      this.baseValues.set(index, value)
    }
    return value
  }

  read(key: KeyRef, tx: number): bigint {
    const index = this.indexOf(key)
    const value = this.mv.resolve(index, tx)
    this.versions.set(key.id, packVersion(this.mv.versionTx, this.mv.versionIncarnation))
    return this.mv.found ? value : this.baseValue(index, key) + value
  }

  readSlot(key: KeyRef, tx: number, epoch: bigint): bigint {
    const index = this.indexOf(key)
    const value = this.mv.resolve(index, tx, epoch === 0n ? -1 : Number(epoch) - 1)
    this.versions.set(key.id, packVersion(this.mv.versionTx, this.mv.versionIncarnation))
    return this.mv.found ? value : this.baseValue(index, key) + value
  }

  private readonly blockCodes = new Map<bigint, Uint8Array>()

  code(hash: bigint): Uint8Array | undefined {
    const base = this.base.code(hash)
    if (base !== undefined) return base
    // One buffer per hash, so the interpreter's analysis cache can hit.
    let code = this.blockCodes.get(hash)
    if (code === undefined) {
      code = this.mv.code(hash)
      if (code !== undefined) this.blockCodes.set(hash, code)
    }
    return code
  }

  hasStorage(address: Hex): boolean {
    return this.base.hasStorage(address)
  }

  /** The value of a key just below transaction `tx`, once the block is done. */
  valueBefore(id: string, tx: number): bigint {
    const key = keyFromId(id)
    if (key.field !== Field.storage) return this.read(key, tx)
    return this.readSlot(key, tx, this.read(accountKey(key.address, Field.storageEpoch), tx))
  }
}

/** Test hook: a thread that stops answering (sleeping, not spinning). */
function hangForever(): never {
  const word = new Int32Array(new SharedArrayBuffer(4))
  for (;;) Atomics.wait(word, 0, 0, 1000)
}

const VERSION_SPAN = 1 << 20
function packVersion(tx: number, incarnation: number): number {
  return tx * VERSION_SPAN + incarnation
}

async function runBlock(task: BlockTask, state: WorldState): Promise<FinalTx[]> {
  const { block, chain } = task
  const vm = await vmFor(chain, hardforkOf(chain, block.header))
  vm.setBlock(blockFor(vm.common, block.header), block.blockHashes ?? new Map())
  const base = new BlockOverlay(state)
  base.apply(task.preWrites)

  const views = viewsOf(task.memory)
  const mv = new MvMemory(views)
  const scheduler = new Scheduler(views)
  const source = new MvSource(mv, base)
  const decoded = new Map<number, TypedTransaction | Error>()
  const latest = new Map<number, TxOutcome & { incarnation: number }>()
  let known: { prevSender: Int32Array; prevCredit: Int32Array }
  try {
    known = knownDependencies(views, vm, block, decoded)
  } catch (error) {
    if (error instanceof BlockHalted) return []
    throw error
  }


  /** Parks the transaction behind `previous` if that one has not executed yet. */
  const waitForKnown = (previous: number): boolean =>
    previous >= 0 && (Atomics.load(views.status, previous) & 3) !== EXECUTED && scheduler.addDependency((task_ as Task).tx, previous)

  let task_: Task | undefined
  try {
    while (!scheduler.done()) {
      task_ ??= scheduler.nextTask()
      if (task_ === undefined) {
        scheduler.waitForWork()
        continue
      }
      if (task_.kind === EXECUTION) {
        const { tx, incarnation } = task_
        if (tx === task.hangAtTx) hangForever()
        if (waitForKnown(known.prevSender[tx] as number) || waitForKnown(known.prevCredit[tx] as number)) {
          Atomics.add(views.ctrl, Ctrl.dependencyWaits, 1)
          task_ = undefined
          continue
        }
        Atomics.add(views.ctrl, Ctrl.incarnations, 1)
        let outcome: TxOutcome
        try {
          source.versions.clear()
          outcome = await execute(vm, block, tx, source, decoded, views, task.trace)
        } catch (error) {
          if (!(error instanceof DependencyAbort)) throw error
          Atomics.add(views.ctrl, Ctrl.dependencyWaits, 1)
          if (!scheduler.addDependency(tx, error.blockingTx)) continue // it finished meanwhile: run again
          task_ = undefined
          continue
        }
        const changed = recordOutcome(source, tx, incarnation, outcome)
        latest.set(tx, { ...outcome, incarnation })
        task_ = scheduler.finishExecution(tx, incarnation, changed)
      } else {
        const { tx, incarnation } = task_
        const valid = mv.validate(tx, source.baseValue)
        const aborted = !valid && scheduler.tryValidationAbort(tx, incarnation)
        if (aborted) {
          Atomics.add(views.ctrl, Ctrl.validationAborts, 1)
          mv.convertWritesToEstimates(tx)
        }
        task_ = scheduler.finishValidation(tx, aborted)
      }
    }
  } catch (error) {
    if (error instanceof BlockHalted) return []
    Atomics.store(views.ctrl, Ctrl.halt, 1)
    throw error
  }
  if (Atomics.load(views.ctrl, Ctrl.halt) !== 0) return []
  // The block is done and the memory final: finish our transactions here, in parallel.
  const finals: FinalTx[] = []
  for (const [tx, outcome] of latest) {
    if (scheduler.incarnationOf(tx) !== outcome.incarnation) continue
    const raw = (block.transactions[tx] as BlockInput["transactions"][number]).raw
    finals.push(finalize(outcome, raw, (id) => source.valueBefore(id, tx), task.recordAccess))
  }
  return finals
}

/**
 * Each transaction's known dependencies (see senders.ts). When the main thread
 * did not know the senders, the workers recover them first, each claiming
 * transactions until all are done, and publish them in shared memory.
 */
function knownDependencies(
  views: BlockViews,
  vm: BlockVm,
  block: BlockInput,
  decoded: Map<number, TypedTransaction | Error>,
): { prevSender: Int32Array; prevCredit: Int32Array } {
  if (Atomics.load(views.ctrl, Ctrl.sendersGiven) === 1) return { prevSender: views.prevSender, prevCredit: views.prevCredit }
  const n = block.transactions.length
  for (;;) {
    const start = Atomics.add(views.ctrl, Ctrl.prepassNext, 16)
    if (start >= n) break
    for (let tx = start; tx < Math.min(n, start + 16); tx++) {
      const transaction = decode(vm, block, tx, views, decoded)
      writeParties(
        views,
        tx,
        transaction instanceof Error
          ? undefined
          : {
              sender: transaction.getSenderAddress().toString(),
              payee: transaction.value > 0n ? transaction.to?.toString() : undefined,
            },
      )
      Atomics.add(views.ctrl, Ctrl.prepassDone, 1)
    }
  }
  while (Atomics.load(views.ctrl, Ctrl.prepassDone) < n) {
    if (Atomics.load(views.ctrl, Ctrl.halt) !== 0) throw new BlockHalted("block halted")
    Atomics.wait(views.ctrl, Ctrl.prepassDone, Atomics.load(views.ctrl, Ctrl.prepassDone), 0.2)
  }
  const prevSender = new Int32Array(n)
  const prevCredit = new Int32Array(n)
  linkParties(
    Array.from({ length: n }, (_, tx) => readParties(views, tx)),
    block.header.coinbase,
    prevSender,
    prevCredit,
  )
  return { prevSender, prevCredit }
}

function decode(vm: BlockVm, block: BlockInput, tx: number, views: BlockViews, decoded: Map<number, TypedTransaction | Error>): TypedTransaction | Error {
  let transaction = decoded.get(tx)
  if (transaction === undefined) {
    const input = block.transactions[tx] as BlockInput["transactions"][number]
    const sender = input.sender ?? readParties(views, tx).sender
    try {
      transaction = vm.decode(sender !== undefined ? { raw: input.raw, sender: sender as Hex } : input)
    } catch (error) {
      transaction = error as Error
    }
    decoded.set(tx, transaction)
  }
  return transaction
}

async function execute(
  vm: BlockVm,
  block: BlockInput,
  tx: number,
  source: MvSource,
  decoded: Map<number, TypedTransaction | Error>,
  views: BlockViews,
  trace: boolean,
): Promise<TxOutcome> {
  const transaction = decode(vm, block, tx, views, decoded)
  if (transaction instanceof Error) {
    const sender = block.transactions[tx]?.sender ?? "0x0000000000000000000000000000000000000000"
    return invalidOutcome(tx, sender, 0n, `could not decode: ${transaction.message}`, new Map())
  }
  return vm.runTransaction(transaction, tx, source, { trace })
}

function recordOutcome(source: MvSource, tx: number, incarnation: number, outcome: TxOutcome): boolean {
  const versions = source.versions
  const mv = source.mv
  for (const [hash, code] of outcome.codes) mv.putCode(hash, code)
  const writes: RecordedWrite[] = outcome.writes.map(([id, value, delta]) => ({
    keyIndex: source.indexOfId(id, () => keyFromId(id)),
    value,
    delta,
  }))
  const reads: RecordedRead[] = outcome.reads.map(([id, value]) => {
    const storage = id.length > 43
    const version = versions.get(id) as number
    const versionTx = Math.floor(version / VERSION_SPAN)
    return {
      keyIndex: source.indexOfId(id, () => keyFromId(id)),
      epochIndex: storage ? source.indexOfId(id.slice(0, 42) + "x", () => accountKey(id.slice(0, 42) as Hex, Field.storageEpoch)) : -1,
      versionTx,
      versionIncarnation: version - versionTx * VERSION_SPAN,
      value,
    }
  })
  return mv.record(tx, incarnation, writes, reads)
}
