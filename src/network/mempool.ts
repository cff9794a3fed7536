/**
 * The node's mempool: transactions waiting for a block, the order in which
 * the miner takes them, and cheap snapshots for evm_snapshot / evm_revert.
 *
 * Semantics (those of Hardhat's EDR, checked against it; see the tests):
 *
 * - Per sender, transactions are kept by nonce. Those whose nonces run without
 *   a gap from the sender's account nonce are *pending* (executable); the rest
 *   are *queued* until the gap is filled, or the account nonce catches up.
 * - A new transaction with the sender and nonce of a pooled one replaces it
 *   only if both its maxFeePerGas and its maxPriorityFeePerGas (gasPrice for
 *   legacy transactions) are at least 10% higher, rounded up
 *   (ceil(old * 110 / 100)). The replacement counts as a new arrival (FIFO
 *   order and priority ties).
 * - Block building repeatedly takes the best *head* among the senders' pending
 *   transactions (a sender's next transaction only competes once the previous
 *   one is taken):
 *   - "priority": highest effective priority fee first,
 *     min(maxPriorityFeePerGas, maxFeePerGas - baseFee) (legacy: gasPrice -
 *     baseFee), arrival order on ties;
 *   - "fifo": arrival order.
 *   A transaction that cannot go in (its gas limit exceeds the gas left, its
 *   maxFeePerGas is below the base fee or the minimum gas price) is left out
 *   together with the rest of its sender's transactions, and building goes on
 *   with the other senders.
 * - Dropping a pending transaction turns the sender's later pending ones into
 *   queued ones (a gap opened).
 *
 * `select` counts gas by gas limits (the block runs in parallel after the
 * choice, so gas used is not known yet). EDR packs by the gas actually used
 * as it executes one transaction after another; a miner that does the same
 * can use `cursor()`, which yields the same order step by step.
 *
 * Implementation: every structure is a persistent (path-copying) treap, so a
 * snapshot is the current root object and restoring it is an assignment;
 * snapshots share everything they have in common and are garbage-collected
 * with the caller's reference. Per sender, a treap by nonce whose subtree sizes
 * give the end of the gap-free run in O(log n). The senders' heads sit in one
 * treap keyed by (maxFeePerGas - maxPriorityFeePerGas, arrival) with subtree
 * maxima of the priority fee and of the max fee: for a base fee b, a head's
 * effective fee is its priority fee when that key is >= b and maxFeePerGas - b
 * otherwise, so the best head for any base fee is two O(log n) descents.
 *
 * Costs, n pooled transactions: add, drop, get O(log n) (plus O(log n) per
 * transaction it drops or promotes); select O((k + s) log n) for k selected
 * and s senders left out, O(k) to copy when nothing changed since the last select
 * or `add` only appended to it (see `appended`); snapshot and restore O(1); onBlockMined O((m + t)
 * log n) for m mined and t touched senders; revalidate O(senders log n)
 * (O(n) with a `keep` predicate); pending()/queued() O(n log n).
 */
import type { Hex } from "../engine/types.js"

export interface PooledTx {
  readonly hash: Hex
  readonly sender: Hex
  readonly nonce: bigint
  readonly gasLimit: bigint
  /** legacy/2930: gasPrice; 1559+: maxFeePerGas */
  readonly maxFeePerGas: bigint
  /** legacy/2930: gasPrice; 1559+: maxPriorityFeePerGas */
  readonly maxPriorityFeePerGas: bigint
  readonly raw: Uint8Array
}

export type MempoolOrder = "priority" | "fifo"

export type MempoolErrorCode = "KNOWN_TRANSACTION" | "NONCE_TOO_LOW" | "REPLACEMENT_UNDERPRICED"

/** A transaction the pool refuses; `message` is EDR's wording. */
export class MempoolError extends Error {
  constructor(
    readonly code: MempoolErrorCode,
    message: string,
  ) {
    super(message)
    this.name = "MempoolError"
  }
}

export interface AddResult {
  readonly status: "pending" | "queued"
  /** The hash of the transaction this one replaced (same sender and nonce). */
  readonly replaced?: Hex
}

declare const snapshotBrand: unique symbol
/** An opaque, immutable copy of the pool's contents. */
export type MempoolSnapshot = { readonly [snapshotBrand]: true }

/** The smallest fee that replaces a transaction paying `fee`: +10%, rounded up. */
export function minReplacementFee(fee: bigint): bigint {
  return (fee * 110n + 99n) / 100n
}

/** The fee per gas the block producer gets, for a base fee (negative when maxFeePerGas is below it). */
export function effectivePriorityFee(tx: Pick<PooledTx, "maxFeePerGas" | "maxPriorityFeePerGas">, baseFeePerGas: bigint): bigint {
  const capped = tx.maxFeePerGas - baseFeePerGas
  return tx.maxPriorityFeePerGas < capped ? tx.maxPriorityFeePerGas : capped
}

// --- persistent treaps ---------------------------------------------------------------------------

interface TreeNode<K, V, A> {
  readonly key: K
  readonly value: V
  readonly rank: number
  readonly left: TreeNode<K, V, A> | undefined
  readonly right: TreeNode<K, V, A> | undefined
  readonly size: number
  readonly agg: A
}

type Tree<K, V, A = undefined> = TreeNode<K, V, A> | undefined

/** Heap ranks from a fixed-seed xorshift, so runs are reproducible. */
let seed = 0x2545f491
function nextRank(): number {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return seed >>> 0
}

/**
 * Operations on immutable treaps ordered by `compare`, with a per-subtree
 * aggregate. Every update returns a new root and leaves the old one intact.
 */
class Treap<K, V, A = undefined> {
  constructor(
    private readonly compare: (a: K, b: K) => number,
    private readonly aggregate: (value: V, left: Tree<K, V, A>, right: Tree<K, V, A>) => A,
  ) {}

  private node(key: K, value: V, rank: number, left: Tree<K, V, A>, right: Tree<K, V, A>): TreeNode<K, V, A> {
    return {
      key,
      value,
      rank,
      left,
      right,
      size: 1 + (left === undefined ? 0 : left.size) + (right === undefined ? 0 : right.size),
      agg: this.aggregate(value, left, right),
    }
  }

  get(root: Tree<K, V, A>, key: K): V | undefined {
    let node = root
    while (node !== undefined) {
      const c = this.compare(key, node.key)
      if (c === 0) return node.value
      node = c < 0 ? node.left : node.right
    }
    return undefined
  }

  /** Inserts `key`, or replaces its value. */
  set(root: Tree<K, V, A>, key: K, value: V): TreeNode<K, V, A> {
    if (root === undefined) return this.node(key, value, nextRank(), undefined, undefined)
    const c = this.compare(key, root.key)
    if (c === 0) return this.node(key, value, root.rank, root.left, root.right)
    if (c < 0) {
      const left = this.set(root.left, key, value)
      if (left.rank > root.rank) {
        return this.node(left.key, left.value, left.rank, left.left, this.node(root.key, root.value, root.rank, left.right, root.right))
      }
      return this.node(root.key, root.value, root.rank, left, root.right)
    }
    const right = this.set(root.right, key, value)
    if (right.rank > root.rank) {
      return this.node(right.key, right.value, right.rank, this.node(root.key, root.value, root.rank, root.left, right.left), right.right)
    }
    return this.node(root.key, root.value, root.rank, root.left, right)
  }

  /** Removes `key`; returns `root` itself when the key is absent. */
  delete(root: Tree<K, V, A>, key: K): Tree<K, V, A> {
    if (root === undefined) return undefined
    const c = this.compare(key, root.key)
    if (c === 0) return this.merge(root.left, root.right)
    if (c < 0) {
      const left = this.delete(root.left, key)
      return left === root.left ? root : this.node(root.key, root.value, root.rank, left, root.right)
    }
    const right = this.delete(root.right, key)
    return right === root.right ? root : this.node(root.key, root.value, root.rank, root.left, right)
  }

  /** Joins two trees, every key of `a` below every key of `b`. */
  private merge(a: Tree<K, V, A>, b: Tree<K, V, A>): Tree<K, V, A> {
    if (a === undefined) return b
    if (b === undefined) return a
    if (a.rank > b.rank) return this.node(a.key, a.value, a.rank, a.left, this.merge(a.right, b))
    return this.node(b.key, b.value, b.rank, this.merge(a, b.left), b.right)
  }

  /** [keys below `key`, keys from `key` on]. */
  split(root: Tree<K, V, A>, key: K): [Tree<K, V, A>, Tree<K, V, A>] {
    if (root === undefined) return [undefined, undefined]
    if (this.compare(root.key, key) < 0) {
      const [low, high] = this.split(root.right, key)
      return [this.node(root.key, root.value, root.rank, root.left, low), high]
    }
    const [low, high] = this.split(root.left, key)
    return [low, this.node(root.key, root.value, root.rank, high, root.right)]
  }
}

/** In-order values. */
function forEachValue<K, V, A>(root: Tree<K, V, A>, visit: (value: V) => void): void {
  const stack: TreeNode<K, V, A>[] = []
  let node = root
  while (node !== undefined || stack.length > 0) {
    while (node !== undefined) {
      stack.push(node)
      node = node.left
    }
    const top = stack.pop() as TreeNode<K, V, A>
    visit(top.value)
    node = top.right
  }
}

function sizeOf<K, V, A>(tree: Tree<K, V, A>): number {
  return tree === undefined ? 0 : tree.size
}

// --- pool state ----------------------------------------------------------------------------------

/** A pooled transaction with its arrival number. */
interface Entry {
  readonly tx: PooledTx
  readonly arrival: number
  /** maxFeePerGas - maxPriorityFeePerGas: the base fee up to which the priority fee is paid in full. */
  readonly slack: bigint
}

/** One sender's transactions. Every nonce is >= `base`; [base, end) are pending. */
interface Account {
  readonly base: bigint
  readonly chain: TreeNode<bigint, Entry, undefined>
  readonly end: bigint
  /** The transaction with nonce `base`, when pending. */
  readonly head: Entry | undefined
}

/** Best heads of a subtree: by priority fee, by max fee (both then arrival), and by arrival. */
interface HeadAgg {
  readonly byPriority: Entry
  readonly byMaxFee: Entry
  readonly first: Entry
}

interface State {
  readonly byHash: Tree<Hex, Entry>
  readonly senders: Tree<Hex, Account>
  readonly heads: Tree<Entry, Entry, HeadAgg>
  readonly queued: number
  readonly nextArrival: number
  /** No pooled transaction has a smaller gas limit (a lower bound: it never rises). */
  readonly minGasLimit: bigint
}

const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)
const compareBigints = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0)
const noAggregate = (): undefined => undefined

const betterByPriority = (a: Entry, b: Entry): Entry =>
  a.tx.maxPriorityFeePerGas > b.tx.maxPriorityFeePerGas ? a : a.tx.maxPriorityFeePerGas < b.tx.maxPriorityFeePerGas ? b : a.arrival < b.arrival ? a : b
const betterByMaxFee = (a: Entry, b: Entry): Entry =>
  a.tx.maxFeePerGas > b.tx.maxFeePerGas ? a : a.tx.maxFeePerGas < b.tx.maxFeePerGas ? b : a.arrival < b.arrival ? a : b
const earlier = (a: Entry, b: Entry): Entry => (a.arrival < b.arrival ? a : b)

const hashes = new Treap<Hex, Entry>(compareStrings, noAggregate)
const accounts = new Treap<Hex, Account>(compareStrings, noAggregate)
const nonces = new Treap<bigint, Entry>(compareBigints, noAggregate)
const headTree = new Treap<Entry, Entry, HeadAgg>(
  (a, b) => (a.slack < b.slack ? -1 : a.slack > b.slack ? 1 : a.arrival - b.arrival),
  (value, left, right) => {
    let byPriority = value
    let byMaxFee = value
    let first = value
    for (const child of [left, right]) {
      if (child === undefined) continue
      byPriority = betterByPriority(byPriority, child.agg.byPriority)
      byMaxFee = betterByMaxFee(byMaxFee, child.agg.byMaxFee)
      first = earlier(first, child.agg.first)
    }
    return { byPriority, byMaxFee, first }
  },
)

const EMPTY: State = {
  byHash: undefined,
  senders: undefined,
  heads: undefined,
  queued: 0,
  nextArrival: 0,
  minGasLimit: 1n << 256n,
}

/** One past the last nonce of the gap-free run from `base` (every key of `chain` is >= base). */
function runEnd(chain: Tree<bigint, Entry>, base: bigint): bigint {
  // Keys are distinct and >= base, so key - base - (keys before it) never decreases in key order;
  // the run is the keys where it is 0.
  let end = base
  let before = 0
  let node = chain
  while (node !== undefined) {
    const rank = before + sizeOf(node.left)
    if (node.key - base === BigInt(rank)) {
      end = node.key + 1n
      before = rank + 1
      node = node.right
    } else {
      node = node.left
    }
  }
  return end
}

/** The best head for `baseFee`: highest effective priority fee, then earliest. */
function bestHead(heads: Tree<Entry, Entry, HeadAgg>, baseFee: bigint): Entry | undefined {
  // Heads whose slack is >= baseFee pay their full priority fee...
  let full: Entry | undefined
  let node = heads
  while (node !== undefined) {
    if (node.key.slack >= baseFee) {
      full = full === undefined ? node.value : betterByPriority(full, node.value)
      if (node.right !== undefined) full = betterByPriority(full, node.right.agg.byPriority)
      node = node.left
    } else {
      node = node.right
    }
  }
  // ...the others pay maxFeePerGas - baseFee.
  let capped: Entry | undefined
  node = heads
  while (node !== undefined) {
    if (node.key.slack < baseFee) {
      capped = capped === undefined ? node.value : betterByMaxFee(capped, node.value)
      if (node.left !== undefined) capped = betterByMaxFee(capped, node.left.agg.byMaxFee)
      node = node.right
    } else {
      node = node.left
    }
  }
  if (full === undefined) return capped
  if (capped === undefined) return full
  const fullFee = full.tx.maxPriorityFeePerGas
  const cappedFee = capped.tx.maxFeePerGas - baseFee
  return fullFee > cappedFee ? full : fullFee < cappedFee ? capped : earlier(full, capped)
}

/** A mutable working copy of a state, for one operation; `done()` gives the new state. */
class Edit {
  byHash: Tree<Hex, Entry>
  senders: Tree<Hex, Account>
  heads: Tree<Entry, Entry, HeadAgg>
  queued: number
  nextArrival: number
  minGasLimit: bigint

  constructor(state: State) {
    this.byHash = state.byHash
    this.senders = state.senders
    this.heads = state.heads
    this.queued = state.queued
    this.nextArrival = state.nextArrival
    this.minGasLimit = state.minGasLimit
  }

  done(): State {
    return {
      byHash: this.byHash,
      senders: this.senders,
      heads: this.heads,
      queued: this.queued,
      nextArrival: this.nextArrival,
      minGasLimit: this.minGasLimit,
    }
  }

  /** Drops the transactions below `base` from a sender's chain. */
  prune(chain: Tree<bigint, Entry>, base: bigint): Tree<bigint, Entry> {
    const [stale, kept] = nonces.split(chain, base)
    forEachValue(stale, (entry) => {
      this.byHash = hashes.delete(this.byHash, entry.tx.hash)
    })
    return kept
  }

  /** Removes the transactions of a chain that `keep` rejects. */
  filter(chain: Tree<bigint, Entry>, keep: (tx: PooledTx) => boolean): Tree<bigint, Entry> {
    let result = chain
    forEachValue(chain, (entry) => {
      if (keep(entry.tx)) return
      result = nonces.delete(result, entry.tx.nonce)
      this.byHash = hashes.delete(this.byHash, entry.tx.hash)
    })
    return result
  }

  /** Stores a sender's new chain and base, keeping the head index and the queued count in step. */
  setAccount(sender: Hex, old: Account | undefined, chain: Tree<bigint, Entry>, base: bigint): Account | undefined {
    const end = chain === undefined ? base : runEnd(chain, base)
    const head = end > base ? nonces.get(chain, base) : undefined
    const oldHead = old?.head
    if (oldHead !== head) {
      if (oldHead !== undefined) this.heads = headTree.delete(this.heads, oldHead)
      if (head !== undefined) this.heads = headTree.set(this.heads, head, head)
    }
    this.queued += sizeOf(chain) - Number(end - base) - (old === undefined ? 0 : old.chain.size - Number(old.end - old.base))
    if (chain === undefined) {
      if (old !== undefined) this.senders = accounts.delete(this.senders, sender)
      return undefined
    }
    const account: Account = { base, chain, end, head }
    this.senders = accounts.set(this.senders, sender, account)
    return account
  }
}

// --- block building ------------------------------------------------------------------------------

/**
 * Walks the pending transactions in mining order without changing the pool.
 * `next()` gives the best transaction that can pay the block's base fee and
 * the minimum gas price (leaving out, with the rest of their sender's, those
 * that cannot) and makes that sender's next transaction a candidate; call
 * `skipSender` when the transaction `next()` gave cannot go in after all
 * (e.g. it does not fit), to leave out the rest of its sender's transactions.
 */
export interface MiningCursor {
  next(): PooledTx | undefined
  /** Leaves out the remaining transactions of `sender`. */
  skipSender(sender: Hex): void
}

class Cursor implements MiningCursor {
  private heads: Tree<Entry, Entry, HeadAgg>
  /** Senders whose candidate differs from their account's head (null: none left). */
  private readonly current = new Map<Hex, Entry | null>()

  constructor(
    private readonly state: State,
    private readonly order: MempoolOrder,
    private readonly baseFeePerGas: bigint,
    private readonly minGasPrice: bigint,
    private readonly unfiltered: boolean,
  ) {
    this.heads = state.heads
  }

  next(): PooledTx | undefined {
    for (;;) {
      const best = this.order === "fifo" ? this.heads?.agg.first : bestHead(this.heads, this.baseFeePerGas)
      if (best === undefined) return undefined
      const tx = best.tx
      if (!this.unfiltered && (tx.maxFeePerGas < this.baseFeePerGas || tx.maxFeePerGas < this.minGasPrice)) {
        // By priority, the best head paying less than the base fee means they all do.
        if (this.order === "priority" && tx.maxFeePerGas < this.baseFeePerGas) return undefined
        this.heads = headTree.delete(this.heads, best)
        this.current.set(tx.sender, null)
        continue
      }
      this.heads = headTree.delete(this.heads, best)
      const account = accounts.get(this.state.senders, tx.sender) as Account
      const following = tx.nonce + 1n < account.end ? (nonces.get(account.chain, tx.nonce + 1n) as Entry) : null
      if (following !== null) this.heads = headTree.set(this.heads, following, following)
      this.current.set(tx.sender, following)
      return tx
    }
  }

  skipSender(sender: Hex): void {
    const candidate = this.current.has(sender) ? this.current.get(sender) : accounts.get(this.state.senders, sender)?.head
    if (candidate !== undefined && candidate !== null) this.heads = headTree.delete(this.heads, candidate)
    this.current.set(sender, null)
  }
}

// --- the pool ------------------------------------------------------------------------------------

/** A `select` result and what it was made from, kept so that `add` can extend it (see `Mempool.appended`). */
interface Selection {
  readonly state: State
  readonly baseFeePerGas: bigint
  readonly blockGasLimit: bigint
  readonly minGasPrice: bigint
  /** Owned by the pool; grows in place as transactions are appended to it. */
  readonly txs: PooledTx[]
  readonly gasLeft: bigint
  /** The lowest effective priority fee among `txs`. */
  readonly lowestTip: bigint
  /** Every pending transaction is in `txs`. */
  readonly complete: boolean
}

export class Mempool {
  private state: State = EMPTY
  private lastBaseFee = 0n
  private selection: Selection | undefined

  constructor(readonly order: MempoolOrder) {}

  /**
   * Adds a transaction. `accountNonce` is the sender's nonce in the latest
   * state; the sender's transactions below it are dropped first. Throws a
   * MempoolError for a known hash, a nonce below `accountNonce`, or an
   * underpriced replacement.
   */
  add(tx: PooledTx, accountNonce: bigint): AddResult {
    const state = this.state
    if (hashes.get(state.byHash, tx.hash) !== undefined) {
      throw new MempoolError("KNOWN_TRANSACTION", `Known transaction: ${tx.hash}`)
    }
    if (tx.nonce < accountNonce) {
      throw new MempoolError(
        "NONCE_TOO_LOW",
        `Transaction nonce too low. Expected nonce to be at least ${accountNonce} but got ${tx.nonce}.`,
      )
    }
    const edit = new Edit(state)
    const old = accounts.get(state.senders, tx.sender)
    let chain: Tree<bigint, Entry> = old?.chain
    if (old !== undefined && accountNonce > old.base) chain = edit.prune(chain, accountNonce)
    const existing = nonces.get(chain, tx.nonce)
    if (existing !== undefined) {
      checkReplacement(existing.tx, tx)
      edit.byHash = hashes.delete(edit.byHash, existing.tx.hash)
    }
    const entry: Entry = { tx, arrival: edit.nextArrival++, slack: tx.maxFeePerGas - tx.maxPriorityFeePerGas }
    chain = nonces.set(chain, tx.nonce, entry)
    edit.byHash = hashes.set(edit.byHash, tx.hash, entry)
    if (tx.gasLimit < edit.minGasLimit) edit.minGasLimit = tx.gasLimit
    const account = edit.setAccount(tx.sender, old, chain, accountNonce) as Account
    this.state = edit.done()
    const status = tx.nonce < account.end ? "pending" : "queued"
    const onlyNewPending = existing === undefined && status === "pending" && account.base === (old?.base ?? accountNonce) && account.end === (old?.end ?? accountNonce) + 1n
    this.selection = onlyNewPending ? this.appended(state, tx) : undefined
    return existing === undefined ? { status } : { status, replaced: existing.tx.hash }
  }

  get(hash: Hex): PooledTx | undefined {
    return hashes.get(this.state.byHash, hash)?.tx
  }

  has(hash: Hex): boolean {
    return hashes.get(this.state.byHash, hash) !== undefined
  }

  /** hardhat_dropTransaction. The sender's later pending transactions become queued. */
  drop(hash: Hex): boolean {
    const entry = hashes.get(this.state.byHash, hash)
    if (entry === undefined) return false
    const edit = new Edit(this.state)
    const old = accounts.get(this.state.senders, entry.tx.sender) as Account
    edit.byHash = hashes.delete(edit.byHash, hash)
    edit.setAccount(entry.tx.sender, old, nonces.delete(old.chain, entry.tx.nonce), old.base)
    this.state = edit.done()
    return true
  }

  size(): number {
    return sizeOf(this.state.byHash)
  }

  /** How many transactions wait for a gap to be filled. */
  queuedCount(): number {
    return this.state.queued
  }

  /**
   * The nonce a sender's next transaction would take: `accountNonce`, or one
   * past its pooled transactions that run on from it without a gap.
   */
  nextNonce(sender: Hex, accountNonce: bigint): bigint {
    const account = accounts.get(this.state.senders, sender)
    if (account === undefined) return accountNonce
    if (account.base === accountNonce) return account.end
    const chain = accountNonce > account.base ? nonces.split(account.chain, accountNonce)[1] : account.chain
    return runEnd(chain, accountNonce)
  }

  /** Executable transactions, in mining order for the last base fee given to `select` (0 before). */
  pending(): PooledTx[] {
    const cursor = new Cursor(this.state, this.order, this.lastBaseFee, 0n, true)
    const result: PooledTx[] = []
    for (let tx = cursor.next(); tx !== undefined; tx = cursor.next()) result.push(tx)
    return result
  }

  /** Transactions waiting behind a nonce gap, in arrival order. */
  queued(): PooledTx[] {
    if (this.state.queued === 0) return []
    const entries: Entry[] = []
    forEachValue(this.state.senders, (account) => {
      if (account.chain.size === Number(account.end - account.base)) return
      forEachValue(account.chain, (entry) => {
        if (entry.tx.nonce >= account.end) entries.push(entry)
      })
    })
    return entries.sort((a, b) => a.arrival - b.arrival).map((entry) => entry.tx)
  }

  /** Steps through the pending transactions in mining order (see MiningCursor); does not change the pool. */
  cursor(baseFeePerGas: bigint, minGasPrice = 0n): MiningCursor {
    this.lastBaseFee = baseFeePerGas
    return new Cursor(this.state, this.order, baseFeePerGas, minGasPrice, false)
  }

  /**
   * The transactions for the next block, in order: the sum of their gas limits
   * stays within `blockGasLimit`. Does not remove them.
   */
  select(baseFeePerGas: bigint, blockGasLimit: bigint, minGasPrice = 0n): PooledTx[] {
    const kept = this.selection
    if (kept?.state === this.state && kept.baseFeePerGas === baseFeePerGas && kept.blockGasLimit === blockGasLimit && kept.minGasPrice === minGasPrice) {
      this.lastBaseFee = baseFeePerGas
      return kept.txs.slice()
    }
    const cursor = this.cursor(baseFeePerGas, minGasPrice)
    const selected: PooledTx[] = []
    let left = blockGasLimit
    let lowestTip: bigint | undefined
    while (left >= this.state.minGasLimit) {
      const tx = cursor.next()
      if (tx === undefined) break
      if (tx.gasLimit > left) {
        cursor.skipSender(tx.sender)
        continue
      }
      left -= tx.gasLimit
      selected.push(tx)
      const tip = effectivePriorityFee(tx, baseFeePerGas)
      if (lowestTip === undefined || tip < lowestTip) lowestTip = tip
    }
    const complete = selected.length === this.size() - this.state.queued
    this.selection = { state: this.state, baseFeePerGas, blockGasLimit, minGasPrice, txs: selected, gasLeft: left, lowestTip: lowestTip ?? 0n, complete }
    return selected.slice()
  }

  /**
   * The last selection with `tx` at its end, when that is what selecting again would give:
   * a transaction sent with automine off usually goes last (the newest, at a tip no higher
   * than the others'), and the node selects after every send (the pending state), so this
   * keeps sends from costing more as the pool grows. `before` is the state `add` started
   * from; `tx` must be the only transaction that became pending.
   */
  private appended(before: State, tx: PooledTx): Selection | undefined {
    const kept = this.selection
    if (kept === undefined || kept.state !== before || !kept.complete) return undefined
    if (tx.maxFeePerGas < kept.baseFeePerGas || tx.maxFeePerGas < kept.minGasPrice || tx.gasLimit > kept.gasLeft) return undefined
    const tip = effectivePriorityFee(tx, kept.baseFeePerGas)
    // By priority, ties go to the earlier arrival, and this one is the newest.
    if (this.order === "priority" && kept.txs.length > 0 && tip > kept.lowestTip) return undefined
    const lowestTip = kept.txs.length === 0 || tip < kept.lowestTip ? tip : kept.lowestTip
    kept.txs.push(tx)
    return { ...kept, state: this.state, gasLeft: kept.gasLeft - tx.gasLimit, lowestTip }
  }

  /**
   * After a block: removes the mined transactions (those given that are not in
   * the pool are ignored), then re-checks the senders of those that were
   * against their new nonces: drops what is below, promotes what now runs on.
   */
  onBlockMined(mined: readonly Hex[], nonceOf: (sender: Hex) => bigint): void {
    const edit = new Edit(this.state)
    const chains = new Map<Hex, Tree<bigint, Entry>>()
    for (const hash of mined) {
      const entry = hashes.get(edit.byHash, hash)
      if (entry === undefined) continue
      const sender = entry.tx.sender
      const chain = chains.has(sender) ? chains.get(sender) : (accounts.get(this.state.senders, sender) as Account).chain
      chains.set(sender, nonces.delete(chain, entry.tx.nonce))
      edit.byHash = hashes.delete(edit.byHash, hash)
    }
    for (const [sender, chain] of chains) {
      const old = accounts.get(this.state.senders, sender) as Account
      const base = nonceOf(sender)
      edit.setAccount(sender, old, base > old.base ? edit.prune(chain, base) : chain, base)
    }
    this.state = edit.done()
  }

  /**
   * Re-checks every sender against its current nonce (after hardhat_setNonce,
   * or any state change the pool did not see): drops what is below, promotes
   * what now runs on. `keep`, when given, drops the transactions it rejects
   * too (EDR also drops those the sender can no longer pay for, or over a
   * lowered block gas limit); later ones of the same sender become queued.
   */
  revalidate(nonceOf: (sender: Hex) => bigint, keep?: (tx: PooledTx) => boolean): void {
    const edit = new Edit(this.state)
    forEachValue(this.state.senders, (old) => {
      const sender = old.chain.value.tx.sender
      const base = nonceOf(sender)
      let chain: Tree<bigint, Entry> = old.chain
      if (base > old.base) chain = edit.prune(chain, base)
      if (keep !== undefined) chain = edit.filter(chain, keep)
      if (chain !== old.chain || base !== old.base) edit.setAccount(sender, old, chain, base)
    })
    this.state = edit.done()
  }

  /** The pool's contents now, O(1); restore() brings them back any number of times. */
  snapshot(): MempoolSnapshot {
    return this.state as unknown as MempoolSnapshot
  }

  restore(snapshot: MempoolSnapshot): void {
    this.state = snapshot as unknown as State
  }

  /** Empties the pool. */
  clear(): void {
    this.state = EMPTY
  }
}

function checkReplacement(old: PooledTx, replacement: PooledTx): void {
  const minMaxFee = minReplacementFee(old.maxFeePerGas)
  if (replacement.maxFeePerGas < minMaxFee) {
    throw new MempoolError(
      "REPLACEMENT_UNDERPRICED",
      `Replacement transaction underpriced. A gasPrice/maxFeePerGas of at least ${minMaxFee} is necessary to replace the existing transaction with nonce ${old.nonce}.`,
    )
  }
  const minPriorityFee = minReplacementFee(old.maxPriorityFeePerGas)
  if (replacement.maxPriorityFeePerGas < minPriorityFee) {
    throw new MempoolError(
      "REPLACEMENT_UNDERPRICED",
      `Replacement transaction underpriced. A gasPrice/maxPriorityFeePerGas of at least ${minPriorityFee} is necessary to replace the existing transaction with nonce ${old.nonce}.`,
    )
  }
}
