/**
 * The exact Ethereum state root of a `WorldState`, kept up to date along the
 * dirty paths only. The account trie (keyed by keccak(address), leaves
 * RLP([nonce, balance, storageRoot, codeHash])) and each account's storage
 * trie (keyed by keccak(slot), leaves RLP(minimal big-endian word)) are held
 * in memory as immutable Merkle-Patricia nodes: an update copies the nodes on
 * the path to each changed key and shares everything else, and every node
 * memoizes its own encoding/hash, so a new root hashes only the nodes the diff
 * created. A storage trie hangs off its account leaf, so one root node is a
 * whole state. This makes the trie persistent: a `StateTrie` value never
 * changes, and holding on to an old one is an O(1) snapshot whose root stays
 * valid (no checkpoint/revert bookkeeping; unreferenced versions are garbage
 * collected). Diffs follow `WorldState.applyDiff` exactly (deletion drops the
 * account and its storage; `storageCleared` empties storage before the slot
 * writes; a slot written 0n is removed; an account that exists in the map is
 * in the trie even if empty, so EIP-161 clean-up must come as `deleted`).
 *
 * Cost: ethereumjs' trie (`MerkleStateManager`) spends 0.2-0.5 ms per dirty
 * account and 0.6-1.2 ms per dirty slot, mostly in its async database layer
 * and in re-encoding; here a dirty key costs a few keccaks along its path.
 * Measured (Node 22, WASM keccak, a busy 2-core machine): building 1000
 * accounts with 2000 slots takes 12-25 ms; a diff touching 100 accounts and
 * 200 slots takes 2-3.5 ms (apply + root), where MerkleStateManager takes
 * about 90-100 ms. Call `initCrypto()` first, or keccak falls back to noble.
 */
import { keccak256 } from "./crypto.js"
import type { AccountChange, Hex, StateDiff } from "./types.js"
import { bytesToHex } from "./worldState.js"

// ---------------------------------------------------------------------------
// Nodes. Keys are always 32 bytes (64 nibbles), so branches never carry a
// value, and an extension's child is always a branch (kept normalized below).

/** An account as its trie leaf needs it; `storage` is the account's storage trie. */
interface AccountEntry {
  readonly nonce: bigint
  readonly balance: bigint
  /** 32 bytes; keccak("") when the account has no code. */
  readonly codeHash: Uint8Array
  readonly storage: Node | null
}

/** What a leaf stores: raw value bytes (storage: RLP of the word), or an account. */
type Value = Uint8Array | AccountEntry

/**
 * `item` memoizes how the node appears inside its parent: its RLP when that
 * is shorter than 32 bytes (inlined), else 0xa0 ++ keccak(RLP). Nodes are
 * never mutated otherwise, which is what makes caching it safe.
 */
class Leaf {
  item: Uint8Array | undefined
  constructor(
    readonly path: Uint8Array,
    readonly value: Value,
  ) {}
}

class Extension {
  item: Uint8Array | undefined
  constructor(
    readonly path: Uint8Array,
    readonly child: Branch,
  ) {}
}

class Branch {
  item: Uint8Array | undefined
  constructor(readonly children: ReadonlyArray<Node | null>) {}
}

type Node = Leaf | Extension | Branch

const EMPTY_BYTES = new Uint8Array()
/** RLP of the empty string: an empty branch slot or branch value. */
const EMPTY_ITEM = Uint8Array.of(0x80)
/** keccak(RLP("")): the root of an empty trie. */
const EMPTY_ROOT = keccak256(EMPTY_ITEM)
/** keccak(""): the code hash of an account without code. */
const EMPTY_CODE_HASH = keccak256(EMPTY_BYTES)

// ---------------------------------------------------------------------------
// Persistent update: returns the new subtree, or the same node when nothing
// changed (so unchanged subtrees keep their memoized hashes).

type Updater = (old: Value | undefined) => Value | undefined

function update(node: Node | null, key: Uint8Array, depth: number, fn: Updater): Node | null {
  if (node === null) {
    const value = fn(undefined)
    return value === undefined ? null : new Leaf(key.subarray(depth), value)
  }
  if (node instanceof Leaf) {
    const shared = commonPrefix(node.path, key, depth)
    if (shared === node.path.length) {
      const value = fn(node.value)
      if (value === undefined) return null
      return sameValue(value, node.value) ? node : new Leaf(node.path, value)
    }
    const value = fn(undefined)
    if (value === undefined) return node
    return split(node.path, shared, new Leaf(node.path.subarray(shared + 1), node.value), key, depth, value)
  }
  if (node instanceof Extension) {
    const shared = commonPrefix(node.path, key, depth)
    if (shared === node.path.length) {
      const child = update(node.child, key, depth + shared, fn)
      return child === node.child ? node : prefixed(node.path, child)
    }
    const value = fn(undefined)
    if (value === undefined) return node
    const rest = node.path.subarray(shared + 1)
    return split(node.path, shared, rest.length > 0 ? new Extension(rest, node.child) : node.child, key, depth, value)
  }
  const index = key[depth] as number
  const old = node.children[index] as Node | null
  const child = update(old, key, depth + 1, fn)
  if (child === old) return node
  const children = node.children.slice()
  children[index] = child
  if (child !== null) return new Branch(children)
  // A branch left with one child folds into it (the trie must stay canonical).
  let only = -1
  for (let i = 0; i < 16; i++) {
    if (children[i] !== null) {
      if (only >= 0) return new Branch(children)
      only = i
    }
  }
  return only < 0 ? null : prefixed(Uint8Array.of(only), children[only] as Node)
}

/**
 * A new key diverges from `path` (a leaf's or extension's) after `shared`
 * nibbles: a branch holding the old remainder and a leaf for the new key,
 * under an extension for the shared part.
 */
function split(path: Uint8Array, shared: number, oldRest: Node, key: Uint8Array, depth: number, value: Value): Node {
  const children: (Node | null)[] = new Array<Node | null>(16).fill(null)
  children[path[shared] as number] = oldRest
  children[key[depth + shared] as number] = new Leaf(key.subarray(depth + shared + 1), value)
  const branch = new Branch(children)
  return shared > 0 ? new Extension(path.slice(0, shared), branch) : branch
}

/** `path` followed by `node`, merging paths so that no extension points to a leaf or an extension. */
function prefixed(path: Uint8Array, node: Node | null): Node | null {
  if (node === null) return null
  if (node instanceof Branch) return new Extension(path, node)
  const joined = new Uint8Array(path.length + node.path.length)
  joined.set(path)
  joined.set(node.path, path.length)
  return node instanceof Leaf ? new Leaf(joined, node.value) : new Extension(joined, node.child)
}

function commonPrefix(path: Uint8Array, key: Uint8Array, depth: number): number {
  let i = 0
  while (i < path.length && path[i] === key[depth + i]) i++
  return i
}

function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true
  if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

function lookup(node: Node | null, key: Uint8Array): Value | undefined {
  let depth = 0
  while (node !== null) {
    if (node instanceof Branch) {
      node = node.children[key[depth++] as number] as Node | null
      continue
    }
    if (commonPrefix(node.path, key, depth) !== node.path.length) return undefined
    if (node instanceof Leaf) return node.value
    depth += node.path.length
    node = node.child
  }
  return undefined
}

// ---------------------------------------------------------------------------
// Bulk build from sorted keys, for the first trie of a state: one pass, no
// intermediate nodes.

interface Entry {
  readonly hash: Uint8Array
  readonly nibbles: Uint8Array
  readonly value: Value
}

function entry(hash: Uint8Array, value: Value): Entry {
  return { hash, nibbles: nibblesOf(hash), value }
}

function buildTrie(entries: Entry[]): Node | null {
  if (entries.length === 0) return null
  entries.sort((a, b) => Buffer.compare(a.hash, b.hash))
  // Two spellings of one key (say "0x1" and "0x00..01"): the later one wins, as in a Map.
  let kept = 0
  for (const e of entries) {
    if (kept > 0 && Buffer.compare((entries[kept - 1] as Entry).hash, e.hash) === 0) entries[kept - 1] = e
    else entries[kept++] = e
  }
  entries.length = kept
  return build(entries, 0, kept, 0)
}

function build(entries: readonly Entry[], lo: number, hi: number, depth: number): Node {
  const first = (entries[lo] as Entry).nibbles
  if (hi - lo === 1) return new Leaf(first.subarray(depth), (entries[lo] as Entry).value)
  // Sorted and distinct: the first and last keys bound the shared prefix of all.
  const last = (entries[hi - 1] as Entry).nibbles
  let shared = 0
  while (first[depth + shared] === last[depth + shared]) shared++
  const branch = buildBranch(entries, lo, hi, depth + shared)
  return shared > 0 ? new Extension(first.slice(depth, depth + shared), branch) : branch
}

function buildBranch(entries: readonly Entry[], lo: number, hi: number, depth: number): Branch {
  const children: (Node | null)[] = new Array<Node | null>(16).fill(null)
  let start = lo
  while (start < hi) {
    const nibble = (entries[start] as Entry).nibbles[depth] as number
    let end = start + 1
    while (end < hi && (entries[end] as Entry).nibbles[depth] === nibble) end++
    children[nibble] = build(entries, start, end, depth + 1)
    start = end
  }
  return new Branch(children)
}

// ---------------------------------------------------------------------------
// Encoding and hashing (a small RLP writer: the nodes are flat lists of byte
// strings and already-encoded children, so no general encoder is needed).

function itemOf(node: Node): Uint8Array {
  if (node.item !== undefined) return node.item
  let encoded: Uint8Array
  if (node instanceof Branch) {
    encoded = scratch.subarray(0, encodeBranch(node))
  } else if (node instanceof Leaf) {
    encoded = rlpList([rlpString(hexPrefix(node.path, true)), rlpString(valueBytes(node.value))])
  } else {
    encoded = rlpList([rlpString(hexPrefix(node.path, false)), itemOf(node.child)])
  }
  let item: Uint8Array
  if (encoded.length < 32) {
    item = encoded.slice()
  } else {
    item = new Uint8Array(33)
    item[0] = 0xa0
    item.set(keccak256(encoded), 1)
  }
  node.item = item
  return item
}

/** Branch encodings (at most 3 + 16 * 33 + 1 bytes) are written here and hashed in place: no allocation per branch. */
const scratch = new Uint8Array(600)

/** Writes the branch's RLP into `scratch` and returns its length. Children are encoded first, so they cannot clobber it. */
function encodeBranch(node: Branch): number {
  let length = 1 // the empty value
  for (let i = 0; i < 16; i++) {
    const child = node.children[i] as Node | null
    length += child === null ? 1 : itemOf(child).length
  }
  let at = writeHeader(scratch, length, 0xc0)
  for (let i = 0; i < 16; i++) {
    const child = node.children[i] as Node | null
    if (child === null) {
      scratch[at++] = 0x80
    } else {
      const item = child.item as Uint8Array
      scratch.set(item, at)
      at += item.length
    }
  }
  scratch[at++] = 0x80
  return at
}

function rootHashOf(node: Node | null): Uint8Array {
  if (node === null) return EMPTY_ROOT
  const item = itemOf(node)
  // Inlined encodings are under 32 bytes, so 33 bytes is always 0xa0 ++ hash. A root is hashed even when small.
  return item.length === 33 ? item.subarray(1) : keccak256(item)
}

function valueBytes(value: Value): Uint8Array {
  if (value instanceof Uint8Array) return value
  return rlpList([
    rlpString(wordBytes(value.nonce)),
    rlpString(wordBytes(value.balance)),
    rlpString(rootHashOf(value.storage)),
    rlpString(value.codeHash),
  ])
}

function hexPrefix(nibbles: Uint8Array, leaf: boolean): Uint8Array {
  const odd = nibbles.length & 1
  const out = new Uint8Array((nibbles.length >> 1) + 1)
  out[0] = ((leaf ? 2 : 0) + odd) << 4
  let i = 0
  if (odd === 1) out[0] |= nibbles[i++] as number
  for (let o = 1; i < nibbles.length; o++, i += 2) out[o] = ((nibbles[i] as number) << 4) | (nibbles[i + 1] as number)
  return out
}

function writeHeader(out: Uint8Array, length: number, base: number): number {
  if (length <= 55) {
    out[0] = base + length
    return 1
  }
  const size = length < 0x100 ? 1 : length < 0x10000 ? 2 : length < 0x1000000 ? 3 : 4
  out[0] = base + 55 + size
  for (let i = 0; i < size; i++) out[1 + i] = (length >>> (8 * (size - 1 - i))) & 0xff
  return 1 + size
}

function headerSize(length: number): number {
  return length <= 55 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : length < 0x1000000 ? 4 : 5
}

function rlpString(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 1 && (bytes[0] as number) < 0x80) return bytes
  const out = new Uint8Array(headerSize(bytes.length) + bytes.length)
  out.set(bytes, writeHeader(out, bytes.length, 0x80))
  return out
}

function rlpList(items: readonly Uint8Array[]): Uint8Array {
  let length = 0
  for (const item of items) length += item.length
  const out = new Uint8Array(headerSize(length) + length)
  let at = writeHeader(out, length, 0xc0)
  for (const item of items) {
    out.set(item, at)
    at += item.length
  }
  return out
}

// ---------------------------------------------------------------------------
// Keys and values from the engine's hex/bigint forms.

/** Minimal big-endian bytes of a non-negative word (empty for 0). */
function wordBytes(value: bigint): Uint8Array {
  if (value === 0n) return EMPTY_BYTES
  if (value < 0x80n) return Uint8Array.of(Number(value))
  const hex = value.toString(16)
  return Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, "hex")
}

/** Fixed-size bytes of a 0x-prefixed hex string, left-padded ("0x1" is 1). */
function fixedBytes(hex: string, size: number): Uint8Array {
  let body = hex.startsWith("0x") ? hex.slice(2) : hex
  if (body.length > size * 2) throw new Error(`state root: ${hex} is longer than ${size} bytes`)
  if (body.length < size * 2) body = body.padStart(size * 2, "0")
  return Buffer.from(body, "hex")
}

function nibblesOf(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length * 2)
  for (let i = 0; i < bytes.length; i++) {
    out[2 * i] = (bytes[i] as number) >> 4
    out[2 * i + 1] = (bytes[i] as number) & 15
  }
  return out
}

function accountKeyHash(address: Hex): Uint8Array {
  return keccak256(fixedBytes(address, 20))
}

function slotKeyHash(slot: Hex): Uint8Array {
  return keccak256(fixedBytes(slot, 32))
}

/** A storage leaf's value: RLP of the minimal word; undefined (delete) for 0. */
function storageValue(value: bigint): Uint8Array | undefined {
  return value === 0n ? undefined : rlpString(wordBytes(value))
}

function codeHashFromHex(hex: Hex): Uint8Array {
  const bytes = fixedBytes(hex, 32)
  return bytes.every((b) => b === 0) ? EMPTY_CODE_HASH : bytes
}

function codeHashFromWord(hash: bigint): Uint8Array {
  return hash === 0n ? EMPTY_CODE_HASH : fixedBytes(hash.toString(16), 32)
}

/** One account change, with the semantics of `WorldState.applyDiff`. */
function changedAccount(old: AccountEntry | undefined, change: AccountChange): AccountEntry | undefined {
  if (change.deleted) return undefined
  let storage = change.storageCleared ? null : (old?.storage ?? null)
  for (const [slot, value] of change.storage) {
    const stored = storageValue(value)
    storage = update(storage, nibblesOf(slotKeyHash(slot)), 0, () => stored)
  }
  const nonce = change.nonce ?? old?.nonce ?? 0n
  const balance = change.balance ?? old?.balance ?? 0n
  const codeHash = change.codeHash !== undefined ? codeHashFromHex(change.codeHash) : (old?.codeHash ?? EMPTY_CODE_HASH)
  if (
    old !== undefined &&
    old.nonce === nonce &&
    old.balance === balance &&
    old.storage === storage &&
    sameValue(old.codeHash, codeHash)
  ) {
    return old // an unchanged account keeps its leaf and its memoized hash
  }
  return { nonce, balance, codeHash, storage }
}

// ---------------------------------------------------------------------------
// Public API.

/** The flat state a trie is built from (`WorldState` fits). */
export interface StateSource {
  readonly accounts: ReadonlyMap<
    Hex,
    { readonly nonce: bigint; readonly balance: bigint; readonly codeHash: bigint; readonly storage: ReadonlyMap<Hex, bigint> }
  >
}

/** An account as committed to the trie. */
export interface TrieAccount {
  readonly nonce: bigint
  readonly balance: bigint
  readonly codeHash: Hex
  readonly storageRoot: Hex
}

/** The result of applying a diff to a trie: the same diff object on the same trie is not done twice. */
const appliedDiffs = new WeakMap<StateDiff, { readonly from: StateTrie; readonly to: StateTrie }>()

/**
 * An immutable Ethereum state trie. `apply` returns a new trie and leaves this
 * one untouched, so a snapshot is just a kept reference; `root` is computed
 * on first use and hashes only nodes that no earlier root had hashed.
 */
export class StateTrie {
  static readonly EMPTY = new StateTrie(null)
  private cachedRoot: Hex | undefined

  private constructor(private readonly node: Node | null) {}

  /** Builds the trie of a whole state (once; afterwards use `apply`). */
  static fromState(state: StateSource): StateTrie {
    const accounts: Entry[] = []
    for (const [address, account] of state.accounts) {
      const slots: Entry[] = []
      for (const [slot, value] of account.storage) {
        const stored = storageValue(value)
        if (stored !== undefined) slots.push(entry(slotKeyHash(slot), stored))
      }
      const value: AccountEntry = {
        nonce: account.nonce,
        balance: account.balance,
        codeHash: codeHashFromWord(account.codeHash),
        storage: buildTrie(slots),
      }
      accounts.push(entry(accountKeyHash(address), value))
    }
    return new StateTrie(buildTrie(accounts))
  }

  /** The state root, 0x-prefixed. */
  get root(): Hex {
    this.cachedRoot ??= bytesToHex(rootHashOf(this.node))
    return this.cachedRoot
  }

  /** The trie after `diff`; touches only the changed accounts and slots. */
  apply(diff: StateDiff): StateTrie {
    const memo = appliedDiffs.get(diff)
    if (memo !== undefined && memo.from === this) return memo.to
    let node = this.node
    for (const change of diff.values()) {
      node = update(node, nibblesOf(accountKeyHash(change.address)), 0, (old) =>
        changedAccount(old as AccountEntry | undefined, change),
      )
    }
    const next = node === this.node ? this : new StateTrie(node)
    appliedDiffs.set(diff, { from: this, to: next })
    return next
  }

  /** The trie after several diffs in order (roots in between are not hashed). */
  applyAll(diffs: Iterable<StateDiff>): StateTrie {
    let trie: StateTrie = this
    for (const diff of diffs) trie = trie.apply(diff)
    return trie
  }

  /**
   * The root after each diff, in order (pre-Byzantium receipts carry the state
   * root after every transaction), and the final trie. Nodes shared between
   * consecutive roots are hashed once.
   */
  rootsAfterEach(diffs: readonly StateDiff[]): { roots: Hex[]; trie: StateTrie } {
    let trie: StateTrie = this
    const roots = diffs.map((diff) => (trie = trie.apply(diff)).root)
    return { roots, trie }
  }

  /** The account as committed to the trie, or undefined when absent. */
  account(address: Hex): TrieAccount | undefined {
    const value = lookup(this.node, nibblesOf(accountKeyHash(address))) as AccountEntry | undefined
    if (value === undefined) return undefined
    return {
      nonce: value.nonce,
      balance: value.balance,
      codeHash: bytesToHex(value.codeHash),
      storageRoot: bytesToHex(rootHashOf(value.storage)),
    }
  }
}

/** The trie kept for each live `WorldState`, with the version it reflects. */
const stateTries = new WeakMap<object, { version: number; trie: StateTrie }>()

/**
 * The trie of `state` as it is now. The first call builds it; later calls
 * apply only the diffs the state's log holds since the last call (and reuse
 * the work when those diffs were already applied with `apply`), falling back
 * to a full build when the log no longer reaches back.
 */
export function stateTrieOf(state: StateSource & {
  readonly version: number
  changesSince(version: number): ReadonlyArray<{ readonly diff: StateDiff }> | undefined
}): StateTrie {
  const known = stateTries.get(state)
  let trie: StateTrie | undefined
  if (known !== undefined) {
    const changes = state.changesSince(known.version)
    if (changes !== undefined) trie = known.trie.applyAll(changes.map((c) => c.diff))
  }
  trie ??= StateTrie.fromState(state)
  stateTries.set(state, { version: state.version, trie })
  return trie
}

/**
 * A persistent Merkle-Patricia trie over 32-byte keys taken as they are (no
 * hashing) and raw byte values: the machinery under `StateTrie`, exposed so
 * tests can reach node shapes that hashed keys practically never produce
 * (long shared prefixes, inlined nodes under 32 bytes).
 */
export class BytesTrie {
  static readonly EMPTY = new BytesTrie(null)
  private constructor(private readonly node: Node | null) {}

  /** The trie with `key` set to `value`; an empty or undefined value deletes the key. */
  set(key: Uint8Array, value: Uint8Array | undefined): BytesTrie {
    if (key.length !== 32) throw new Error("BytesTrie keys are 32 bytes")
    const stored = value === undefined || value.length === 0 ? undefined : value.slice()
    const node = update(this.node, nibblesOf(key), 0, () => stored)
    return node === this.node ? this : new BytesTrie(node)
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return lookup(this.node, nibblesOf(key)) as Uint8Array | undefined
  }

  get root(): Uint8Array {
    return rootHashOf(this.node)
  }
}
