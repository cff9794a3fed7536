/**
 * Block-STM's collaborative scheduler (Gelashvili et al., PPoPP'23, section 4)
 * over shared memory. Threads take the lowest-indexed work first: validation
 * when it is behind execution, else execution. An aborted transaction lowers
 * the execution index; a re-execution that changed what it wrote lowers the
 * validation index, so higher transactions get validated again.
 *
 * Status words pack (incarnation << 2) | state and change by compare-and-swap.
 * `activeTasks` counts tasks handed out and not finished; a task returned by a
 * finish_* call inherits its parent's count.
 */
import { Ctrl, allocate, lock, unlock, type BlockViews } from "./blockMemory.js"

export const READY = 0
export const EXECUTING = 1
export const EXECUTED = 2
export const ABORTING = 3

export const EXECUTION = 0
export const VALIDATION = 1

export interface Task {
  readonly kind: typeof EXECUTION | typeof VALIDATION
  readonly tx: number
  readonly incarnation: number
}

export class Scheduler {
  private readonly ctrl: Int32Array
  private readonly status: Int32Array
  private readonly size: number

  constructor(private readonly v: BlockViews) {
    this.ctrl = v.ctrl
    this.status = v.status
    this.size = v.layout.transactions
  }

  done(): boolean {
    return Atomics.load(this.ctrl, Ctrl.done) !== 0 || Atomics.load(this.ctrl, Ctrl.halt) !== 0
  }

  incarnationOf(tx: number): number {
    return Atomics.load(this.status, tx) >> 2
  }

  nextTask(): Task | undefined {
    const ctrl = this.ctrl
    if (Atomics.load(ctrl, Ctrl.validationIdx) < Atomics.load(ctrl, Ctrl.executionIdx)) {
      const version = this.nextVersionToValidate()
      if (version !== undefined) return version
    } else {
      const version = this.nextVersionToExecute()
      if (version !== undefined) return version
    }
    return undefined
  }

  /** Execution stopped on an ESTIMATE of `blocking`. False: it already finished, run again now. */
  addDependency(tx: number, blocking: number): boolean {
    const { depLock, depHead, deps } = this.v
    lock(depLock, blocking, this.ctrl)
    try {
      if ((Atomics.load(this.status, blocking) & 3) === EXECUTED) return false
      const current = Atomics.load(this.status, tx)
      Atomics.store(this.status, tx, (current & ~3) | ABORTING)
      const node = this.allocateDep()
      deps[node * 2] = tx
      deps[node * 2 + 1] = depHead[blocking] as number
      depHead[blocking] = node
    } finally {
      unlock(depLock, blocking)
    }
    this.finishTask()
    return true
  }

  /** `revalidateHigher`: the incarnation changed what higher transactions can read (see MvMemory.record). */
  finishExecution(tx: number, incarnation: number, revalidateHigher: boolean): Task | undefined {
    const { depLock, depHead, deps } = this.v
    const dependents: number[] = []
    lock(depLock, tx, this.ctrl)
    Atomics.store(this.status, tx, (incarnation << 2) | EXECUTED)
    for (let node = depHead[tx] as number; node !== 0; node = deps[node * 2 + 1] as number) {
      dependents.push(deps[node * 2] as number)
    }
    depHead[tx] = 0
    unlock(depLock, tx)
    if (dependents.length > 0) {
      for (const dependent of dependents) this.setReady(dependent)
      this.decreaseIndex(Ctrl.executionIdx, Math.min(...dependents))
    }
    if (Atomics.load(this.ctrl, Ctrl.validationIdx) > tx) {
      if (revalidateHigher) this.decreaseIndex(Ctrl.validationIdx, tx)
      else return { kind: VALIDATION, tx, incarnation }
    }
    this.finishTask()
    return undefined
  }

  /** Only one failed validation per incarnation wins the right to abort it. */
  tryValidationAbort(tx: number, incarnation: number): boolean {
    const executed = (incarnation << 2) | EXECUTED
    return Atomics.compareExchange(this.status, tx, executed, (incarnation << 2) | ABORTING) === executed
  }

  finishValidation(tx: number, aborted: boolean): Task | undefined {
    if (aborted) {
      this.setReady(tx)
      this.decreaseIndex(Ctrl.validationIdx, tx + 1)
      if (Atomics.load(this.ctrl, Ctrl.executionIdx) > tx) {
        const incarnation = this.tryIncarnate(tx)
        if (incarnation >= 0) return { kind: EXECUTION, tx, incarnation }
      }
    }
    this.finishTask()
    return undefined
  }

  // --- internals ---------------------------------------------------------------

  private nextVersionToExecute(): Task | undefined {
    const ctrl = this.ctrl
    if (Atomics.load(ctrl, Ctrl.executionIdx) >= this.size) {
      this.checkDone()
      return undefined
    }
    Atomics.add(ctrl, Ctrl.activeTasks, 1)
    const tx = Atomics.add(ctrl, Ctrl.executionIdx, 1)
    const incarnation = tx < this.size ? this.tryIncarnate(tx) : -1
    if (incarnation < 0) {
      this.finishTask()
      return undefined
    }
    return { kind: EXECUTION, tx, incarnation }
  }

  private nextVersionToValidate(): Task | undefined {
    const ctrl = this.ctrl
    if (Atomics.load(ctrl, Ctrl.validationIdx) >= this.size) {
      this.checkDone()
      return undefined
    }
    Atomics.add(ctrl, Ctrl.activeTasks, 1)
    const tx = Atomics.add(ctrl, Ctrl.validationIdx, 1)
    if (tx < this.size) {
      const status = Atomics.load(this.status, tx)
      if ((status & 3) === EXECUTED) return { kind: VALIDATION, tx, incarnation: status >> 2 }
    }
    this.finishTask()
    return undefined
  }

  /** READY -> EXECUTING; the incarnation, or -1 if someone else has it. */
  private tryIncarnate(tx: number): number {
    const status = Atomics.load(this.status, tx)
    if ((status & 3) !== READY) return -1
    if (Atomics.compareExchange(this.status, tx, status, (status & ~3) | EXECUTING) !== status) return -1
    return status >> 2
  }

  /** ABORTING -> READY with the next incarnation. */
  private setReady(tx: number): void {
    const status = Atomics.load(this.status, tx)
    Atomics.store(this.status, tx, (((status >> 2) + 1) << 2) | READY)
  }

  private decreaseIndex(which: number, target: number): void {
    const ctrl = this.ctrl
    for (;;) {
      const current = Atomics.load(ctrl, which)
      if (current <= target || Atomics.compareExchange(ctrl, which, current, target) === current) break
    }
    Atomics.add(ctrl, Ctrl.decreaseCount, 1)
    this.signal()
  }

  private checkDone(): void {
    const ctrl = this.ctrl
    const observed = Atomics.load(ctrl, Ctrl.decreaseCount)
    if (
      Math.min(Atomics.load(ctrl, Ctrl.executionIdx), Atomics.load(ctrl, Ctrl.validationIdx)) >= this.size &&
      Atomics.load(ctrl, Ctrl.activeTasks) === 0 &&
      observed === Atomics.load(ctrl, Ctrl.decreaseCount)
    ) {
      Atomics.store(ctrl, Ctrl.done, 1)
      this.signal()
    }
  }

  private finishTask(): void {
    Atomics.sub(this.ctrl, Ctrl.activeTasks, 1)
    this.signal()
  }

  private signal(): void {
    Atomics.add(this.ctrl, Ctrl.signal, 1)
    if (Atomics.load(this.ctrl, Ctrl.sleepers) > 0) Atomics.notify(this.ctrl, Ctrl.signal)
  }

  private allocateDep(): number {
    return allocate(this.ctrl, Ctrl.depTop, 1, this.v.layout.depCapacity)
  }

  /**
   * Called when nextTask found nothing. While indexes are still below the
   * block size there is work to hand out, so ask again at once; only when
   * everything is handed out and others are still busy, sleep until the
   * scheduling state changes.
   */
  waitForWork(): void {
    const ctrl = this.ctrl
    const seen = Atomics.load(ctrl, Ctrl.signal)
    if (Math.min(Atomics.load(ctrl, Ctrl.executionIdx), Atomics.load(ctrl, Ctrl.validationIdx)) < this.size) return
    if (this.done()) return
    Atomics.add(ctrl, Ctrl.sleepers, 1)
    Atomics.wait(ctrl, Ctrl.signal, seen, 0.5)
    Atomics.sub(ctrl, Ctrl.sleepers, 1)
  }
}
