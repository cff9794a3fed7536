/**
 * One SharedArrayBuffer per parallel block, carved into Int32 regions that the
 * scheduler and the multi-version memory share between worker threads. A
 * fresh buffer is all zeros, which is the initial state of every region
 * (arena offsets start at 1 so that 0 can mean "none").
 */

/**
 * Words of the control region. Words that different threads write often sit
 * on their own 64-byte cache line, so that an atomic add on one does not
 * stall readers of another.
 */
const LINE = 16
export const Ctrl = {
  executionIdx: 0 * LINE,
  validationIdx: 1 * LINE,
  decreaseCount: 2 * LINE,
  activeTasks: 3 * LINE,
  /** Bumped on every scheduling change, for Atomics.wait. */
  signal: 4 * LINE,
  /** Threads currently sleeping on `signal`: notify only when there are some. */
  sleepers: 4 * LINE + 1,
  nodeTop: 5 * LINE,
  readTop: 6 * LINE,
  listTop: 7 * LINE,
  depTop: 8 * LINE,
  codeTop: 9 * LINE,
  incarnations: 10 * LINE,
  validationAborts: 10 * LINE + 1,
  dependencyWaits: 10 * LINE + 2,
  // Written rarely, read often: may share a line.
  done: 11 * LINE,
  /** Set by the main thread (worker died or timed out) or on overflow: everyone stops. */
  halt: 11 * LINE + 1,
  /** 1 when a region ran out of room; the block is retried with more. */
  overflow: 11 * LINE + 2,
  blockSize: 11 * LINE + 3,
  /** Workers that finished the sender pre-pass. */
  prepassDone: 12 * LINE,
  /** Next transaction to claim in the sender pre-pass. */
  prepassNext: 12 * LINE + 1,
  /** 1 when the main thread filled `prevSender` itself (senders were given). */
  sendersGiven: 11 * LINE + 4,
} as const
const CTRL_WORDS = 13 * LINE

export const KEY_ENTRY_WORDS = 18 // state, lock, head, spare, 14 key words
export const NODE_WORDS = 13 // tx, incarnation, flags, next, seqlock, 8 value words
export const READ_WORDS = 12 // key index, epoch key index, version tx, version incarnation, 8 value words
export const CODE_ENTRY_WORDS = 12 // state, offset, length, spare, 8 hash words
export const SENDER_WORDS = 11 // known flag, 5 sender words, 5 recipient words (zero for a creation)

export interface BlockMemoryLayout {
  readonly transactions: number
  /** Power of two. */
  readonly keyCapacity: number
  readonly nodeCapacity: number
  readonly readWords: number
  readonly listWords: number
  readonly depCapacity: number
  /** Power of two. */
  readonly codeCapacity: number
  readonly codeBytes: number
}

export interface BlockMemory {
  readonly layout: BlockMemoryLayout
  readonly buffer: SharedArrayBuffer
}

/** Views over the regions of a block's shared buffer. */
export interface BlockViews {
  readonly layout: BlockMemoryLayout
  readonly ctrl: Int32Array
  /** Per transaction: (incarnation << 2) | status. */
  readonly status: Int32Array
  readonly depLock: Int32Array
  readonly depHead: Int32Array
  /** Dependency list nodes: [tx, next]. */
  readonly deps: Int32Array
  readonly keys: Int32Array
  readonly keyWords: Uint32Array
  readonly nodes: Int32Array
  /** Per transaction: offset of its latest read set in `reads` (count at that offset). */
  readonly readIndex: Int32Array
  readonly reads: Int32Array
  /** Per transaction: offset of its latest write list in `lists` (count at that offset). */
  readonly listIndex: Int32Array
  readonly lists: Int32Array
  readonly codeTable: Int32Array
  readonly codeBytes: Uint8Array
  /** Per transaction: whether its sender is known, and its address words. */
  readonly senders: Int32Array
  /** Per transaction: the closest lower transaction from the same sender, or -1. */
  readonly prevSender: Int32Array
  /** Per transaction: the closest lower transaction that sends value to its sender, or -1. */
  readonly prevCredit: Int32Array
}

function nextPowerOfTwo(n: number): number {
  let p = 1
  while (p < n) p *= 2
  return p
}

/**
 * A layout sized for `transactions`, scaled by `factor` after an overflow.
 * Keys and versions also scale with the block's gas: a few transactions can
 * touch thousands of keys, at most one new one per `gasPerAccess` (2600 for a
 * cold account since Berlin, 20 before Tangerine Whistle).
 */
export function layoutFor(transactions: number, factor = 1, gasLimit = 0n, gasPerAccess = 2100n): BlockMemoryLayout {
  const n = Math.max(transactions, 1)
  // Capped: the buffer's pages fault in as keys hash into them, and a block that needs
  // more than this (it overflows) is retried with `factor` times the room.
  const byGas = Math.min(Number(gasLimit / gasPerAccess), 1 << 15)
  const keys = Math.max(n * 64, byGas * 2) * factor
  return {
    transactions: n,
    keyCapacity: nextPowerOfTwo(Math.max(4096, keys)),
    nodeCapacity: 1024 + Math.max(n * 32, byGas) * factor,
    readWords: 4096 + Math.max(n * 64, byGas) * READ_WORDS * factor,
    listWords: 4096 + Math.max(n * 48, byGas) * factor,
    depCapacity: 1024 + n * 8 * factor,
    codeCapacity: nextPowerOfTwo(256 * factor),
    codeBytes: 1 << (22 + Math.min(4, Math.log2(factor) | 0)),
  }
}

function regionSizes(layout: BlockMemoryLayout): [name: string, words: number][] {
  const n = layout.transactions
  return [
    ["ctrl", CTRL_WORDS],
    ["status", n],
    ["depLock", n],
    ["depHead", n],
    ["deps", layout.depCapacity * 2],
    ["keys", layout.keyCapacity * KEY_ENTRY_WORDS],
    ["nodes", layout.nodeCapacity * NODE_WORDS],
    ["readIndex", n],
    ["reads", layout.readWords],
    ["listIndex", n],
    ["lists", layout.listWords],
    ["codeTable", layout.codeCapacity * CODE_ENTRY_WORDS],
    ["senders", n * SENDER_WORDS],
    ["prevSender", n],
    ["prevCredit", n],
  ]
}

export function allocateBlockMemory(layout: BlockMemoryLayout): BlockMemory {
  const words = regionSizes(layout).reduce((sum, [, size]) => sum + size, 0)
  const buffer = new SharedArrayBuffer(words * 4 + layout.codeBytes)
  const ctrl = new Int32Array(buffer, 0, CTRL_WORDS)
  ctrl[Ctrl.blockSize] = layout.transactions
  for (const top of [Ctrl.nodeTop, Ctrl.readTop, Ctrl.listTop, Ctrl.depTop, Ctrl.codeTop]) ctrl[top] = 1
  return { layout, buffer }
}

export function viewsOf(memory: BlockMemory): BlockViews {
  const regions: Record<string, Int32Array> = {}
  let offset = 0
  for (const [name, size] of regionSizes(memory.layout)) {
    regions[name] = new Int32Array(memory.buffer, offset * 4, size)
    offset += size
  }
  const keys = regions.keys as Int32Array
  return {
    layout: memory.layout,
    ctrl: regions.ctrl as Int32Array,
    status: regions.status as Int32Array,
    depLock: regions.depLock as Int32Array,
    depHead: regions.depHead as Int32Array,
    deps: regions.deps as Int32Array,
    keys,
    keyWords: new Uint32Array(keys.buffer, keys.byteOffset, keys.length),
    nodes: regions.nodes as Int32Array,
    readIndex: regions.readIndex as Int32Array,
    reads: regions.reads as Int32Array,
    listIndex: regions.listIndex as Int32Array,
    lists: regions.lists as Int32Array,
    codeTable: regions.codeTable as Int32Array,
    codeBytes: new Uint8Array(memory.buffer, offset * 4, memory.layout.codeBytes),
    senders: regions.senders as Int32Array,
    prevSender: regions.prevSender as Int32Array,
    prevCredit: regions.prevCredit as Int32Array,
  }
}

/** Thrown inside a worker when the block was halted or a region overflowed. */
export class BlockHalted extends Error {
  constructor(reason: string) {
    super(reason)
    this.name = "BlockHalted"
  }
}

/** Bump allocation in an arena whose top lives in ctrl; sets overflow and halts when full. */
export function allocate(ctrl: Int32Array, top: number, words: number, capacity: number): number {
  const start = Atomics.add(ctrl, top, words)
  if (start + words > capacity) overflow(ctrl)
  return start
}

export function overflow(ctrl: Int32Array): never {
  Atomics.store(ctrl, Ctrl.overflow, 1)
  Atomics.store(ctrl, Ctrl.halt, 1)
  throw new BlockHalted("shared block memory is full")
}

/**
 * One thread's slice of a shared arena: it takes chunks from the shared top
 * and hands out words from them without touching shared counters.
 */
export class ArenaSlice {
  private next = 0
  private end = 0

  constructor(
    private readonly ctrl: Int32Array,
    private readonly top: number,
    private readonly capacity: number,
    private readonly chunk: number,
  ) {}

  take(words: number): number {
    if (this.next + words > this.end) {
      const size = Math.max(this.chunk, words)
      this.next = allocate(this.ctrl, this.top, size, this.capacity)
      this.end = this.next + size
    }
    const start = this.next
    this.next += words
    return start
  }
}

const SPINS_BEFORE_WAIT = 200

/** A futex-style lock word: 0 free, 1 held, 2 held with waiters. Gives up when the block halts. */
export function lock(words: Int32Array, index: number, ctrl: Int32Array): void {
  if (Atomics.compareExchange(words, index, 0, 1) === 0) return
  let spins = 0
  for (;;) {
    if (Atomics.load(words, index) === 0 && Atomics.compareExchange(words, index, 0, 1) === 0) return
    if (++spins < SPINS_BEFORE_WAIT) continue
    if (Atomics.load(ctrl, Ctrl.halt) !== 0) throw new BlockHalted("block halted")
    if (Atomics.exchange(words, index, 2) === 0) return
    Atomics.wait(words, index, 2, 1)
  }
}

export function unlock(words: Int32Array, index: number): void {
  if (Atomics.exchange(words, index, 0) === 2) Atomics.notify(words, index, 1)
}
