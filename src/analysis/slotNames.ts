/**
 * Storage slots named as Solidity writes them. Fixed variables come from the
 * contract's storage layout (packed variables share a slot: all are listed,
 * each with its byte range); a mapping entry is keccak(key . slot) and a
 * dynamic array's data starts at keccak(slot), so the KECCAK256 preimages the
 * record captured turn a hashed slot back into `base[key]` (nested mappings
 * resolve recursively: `_allowances[0xA…][0xB…]`), array elements are
 * keccak(slot) + i (`items[3]`), and struct members are the base plus the
 * member's offset (`positions[0x7099…79C8].amount`). Keys are shown for their
 * key type: addresses checksummed and shortened, integers in decimal. ERC-7201
 * and EIP-1967 slots are named from their constants. Anything else stays hex,
 * with a note saying why. Hashes the optimizer folded into constants (a
 * fixed array's data slot, `_balances[address(0)]`) have no recorded preimage,
 * so they are derived from the layout and the addresses the run saw.
 */
import type { Hex } from "../engine/types.js"
import type { StorageLayout, StorageLayoutType } from "./artifacts.js"
import { formatKey, keccakHex, slotHex, word } from "./format.js"
import type { KnownSlots } from "./namespaces.js"

/** One variable (or member, or element) stored in a slot. */
export interface SlotLeaf {
  /** e.g. "_balances[0x7099…79C8]" (without the contract name). */
  readonly path: string
  /** Solidity type label, e.g. "uint256". */
  readonly type: string
  /** Byte offset in the slot, counted from the low-order end (as solc's layout does). */
  readonly byteOffset: number
  /** Bytes it takes (32 for a full slot). */
  readonly bytes: number
}

export interface SlotName {
  /** Variables in the slot; empty when unknown. */
  readonly leaves: readonly SlotLeaf[]
  /** How the slot was found. */
  readonly root: "fixed" | "hashed" | "known" | "unknown"
  /** The mapping keys and array indexes on the way, outermost first (raw words). */
  readonly keys: readonly bigint[]
  readonly note?: string
}

/** All recorded KECCAK256 preimages, by hash, with a sorted index for "nearest hash below". */
export class PreimageIndex {
  private readonly byHash = new Map<bigint, Hex>()
  private sorted: bigint[] | undefined

  add(preimage: Hex, hash: Hex): void {
    const key = BigInt(hash)
    if (!this.byHash.has(key)) {
      this.byHash.set(key, preimage)
      this.sorted = undefined
    }
  }

  get size(): number {
    return this.byHash.size
  }

  /** The largest recorded hash h <= slot with slot - h < 2^32, and its preimage. */
  below(slot: bigint): { hash: bigint; preimage: Hex } | undefined {
    const sorted = (this.sorted ??= [...this.byHash.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    let lo = 0
    let hi = sorted.length - 1
    let found = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if ((sorted[mid] as bigint) <= slot) {
        found = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    if (found < 0) return undefined
    const hash = sorted[found] as bigint
    if (slot - hash >= 1n << 32n) return undefined
    return { hash, preimage: this.byHash.get(hash) as Hex }
  }
}

interface Found {
  readonly path: string
  readonly typeId: string
  readonly byteOffset: number
  readonly keys: readonly bigint[]
}

const MAX_DEPTH = 8

/** Names slots for one contract (one storage layout). Results are cached per slot. */
export class SlotNamer {
  private readonly types: Readonly<Record<string, StorageLayoutType>>
  private readonly cache = new Map<bigint, SlotName>()

  /**
   * `addresses` (e.g. every account the run saw) are tried as keys of the
   * mappings at fixed slots, and the data slots of dynamic arrays at fixed
   * slots are derived: the optimizer folds such hashes into constants, so
   * they never reach the recorded preimages. The derived preimages are added
   * to `preimages`.
   */
  constructor(
    private readonly layout: StorageLayout | undefined,
    private readonly preimages: PreimageIndex,
    private readonly known: KnownSlots,
    private readonly contractName: string,
    addresses: Iterable<Hex> = [],
  ) {
    this.types = layout?.types ?? {}
    const keys = [...addresses].slice(0, 2000).map((a) => word(BigInt(a)))
    for (const entry of layout?.storage ?? []) this.derive(BigInt(entry.slot), entry.type, keys, 0)
  }

  /** Adds the preimages that constant-folded hashes of in-place containers would have had. */
  private derive(slot: bigint, typeId: string, keys: readonly Hex[], depth: number): void {
    const type = this.types[typeId]
    if (type === undefined || depth > 4) return
    if (type.encoding === "dynamic_array" || type.encoding === "bytes") {
      const preimage = word(slot)
      this.preimages.add(preimage, keccakHex(preimage))
    } else if (type.encoding === "mapping") {
      const keyLabel = type.key !== undefined ? this.types[type.key]?.label : undefined
      if (keyLabel === "address" || keyLabel?.startsWith("contract ") === true) {
        for (const key of keys) {
          const preimage = `${key}${word(slot).slice(2)}` as Hex
          this.preimages.add(preimage, keccakHex(preimage))
        }
      }
    } else if (type.members !== undefined) {
      for (const member of type.members) this.derive(slot + BigInt(member.slot), member.type, keys, depth + 1)
    } else if (type.base !== undefined) {
      const length = /\[(\d+)\]$/.exec(type.label)
      const count = length !== null ? Math.min(16, Number(length[1])) : 0
      const size = this.slotsOf(type.base)
      for (let i = 0; i < count; i++) this.derive(slot + BigInt(i) * size, type.base, keys, depth + 1)
    }
  }

  name(slot: Hex | bigint): SlotName {
    const value = typeof slot === "bigint" ? slot : BigInt(slot)
    let named = this.cache.get(value)
    if (named === undefined) {
      named = this.resolve(value)
      this.cache.set(value, named)
    }
    return named
  }

  private resolve(slot: bigint): SlotName {
    const known = this.known.get(slot)
    if (known !== undefined) {
      return { leaves: [{ path: known.name, type: known.type ?? "uint256", byteOffset: 0, bytes: 32 }], root: "known", keys: [], note: `named from its ${known.origin}` }
    }
    const found = this.locate(slot, 0)
    if (found.length > 0) {
      const hashed = this.fixed(slot).length === 0
      return {
        leaves: found.map((f) => ({ path: f.path, type: this.types[f.typeId]?.label ?? f.typeId, byteOffset: f.byteOffset, bytes: this.bytesOf(f.typeId) })),
        root: hashed ? "hashed" : "fixed",
        keys: found[0]?.keys ?? [],
      }
    }
    const note =
      this.layout === undefined
        ? `${this.contractName} has no storage layout (compile with solc's storageLayout output) so the slot keeps its number`
        : this.preimages.below(slot) === undefined && slot >= 1n << 64n
          ? `no variable of ${this.contractName}'s storage layout and no recorded keccak preimage leads to ${slotHex(slot)} (a hash of a key longer than 32 bytes, assembly, or another contract's layout)`
          : `${slotHex(slot)} is not in ${this.contractName}'s storage layout`
    return { leaves: [], root: "unknown", keys: [], note }
  }

  private bytesOf(typeId: string): number {
    return Number(this.types[typeId]?.numberOfBytes ?? "32")
  }

  private slotsOf(typeId: string): bigint {
    return BigInt(Math.max(1, Math.ceil(this.bytesOf(typeId) / 32)))
  }

  private fixed(slot: bigint): Found[] {
    const found: Found[] = []
    for (const entry of this.layout?.storage ?? []) {
      const base = BigInt(entry.slot)
      if (slot >= base && slot < base + this.slotsOf(entry.type)) found.push(...this.descend(entry.label, entry.type, slot - base, entry.offset, []))
    }
    return found
  }

  /** Every variable stored in `slot`. */
  private locate(slot: bigint, depth: number): Found[] {
    const fixed = this.fixed(slot)
    if (fixed.length > 0 || depth >= MAX_DEPTH) return fixed
    const below = this.preimages.below(slot)
    if (below === undefined) return []
    const offset = slot - below.hash
    const bytes = (below.preimage.length - 2) / 2
    if (bytes === 64) {
      const key = BigInt(`0x${below.preimage.slice(2, 66)}`)
      const base = BigInt(`0x${below.preimage.slice(66)}`)
      return this.locate(base, depth + 1)
        .filter((c) => this.types[c.typeId]?.encoding === "mapping")
        .flatMap((c) => {
          const type = this.types[c.typeId] as StorageLayoutType
          const keyLabel = type.key !== undefined ? this.types[type.key]?.label : undefined
          const path = `${c.path}[${formatKey(key, keyLabel)}]`
          return this.descend(path, type.value ?? "", offset, 0, [...c.keys, key])
        })
    }
    if (bytes === 32) {
      const base = BigInt(below.preimage)
      return this.locate(base, depth + 1).flatMap((c) => {
        const type = this.types[c.typeId]
        if (type?.encoding === "dynamic_array" && type.base !== undefined) return this.element(c.path, type.base, offset, c.keys, undefined)
        if (type?.encoding === "bytes") return [{ path: `${c.path} (data word ${offset})`, typeId: c.typeId, byteOffset: 0, keys: c.keys }]
        return []
      })
    }
    return []
  }

  /** The array element(s) at `offset` slots into an array's data. */
  private element(path: string, base: string, offset: bigint, keys: readonly bigint[], length: bigint | undefined): Found[] {
    const elementBytes = this.bytesOf(base)
    if (elementBytes <= 16) {
      // Small elements are packed several to a slot.
      const perSlot = BigInt(Math.floor(32 / elementBytes))
      const first = offset * perSlot
      let last = first + perSlot - 1n
      if (length !== undefined && last >= length) last = length - 1n
      return [{ path: first === last ? `${path}[${first}]` : `${path}[${first}…${last}]`, typeId: base, byteOffset: 0, keys: [...keys, first] }]
    }
    const size = this.slotsOf(base)
    const index = offset / size
    if (length !== undefined && index >= length) return []
    return this.descend(`${path}[${index}]`, base, offset % size, 0, [...keys, index])
  }

  /** The variable(s) at `offset` slots into a value of type `typeId` stored at `path`. */
  private descend(path: string, typeId: string, offset: bigint, byteOffset: number, keys: readonly bigint[]): Found[] {
    const type = this.types[typeId]
    if (type?.encoding === "inplace" && type.members !== undefined) {
      const found: Found[] = []
      for (const member of type.members) {
        const base = BigInt(member.slot)
        if (offset >= base && offset < base + this.slotsOf(member.type)) found.push(...this.descend(`${path}.${member.label}`, member.type, offset - base, member.offset, keys))
      }
      return found
    }
    if (type?.encoding === "inplace" && type.base !== undefined) {
      const length = /\[(\d+)\]$/.exec(type.label)
      return this.element(path, type.base, offset, keys, length !== null ? BigInt(length[1] as string) : undefined)
    }
    return offset === 0n ? [{ path, typeId, byteOffset, keys }] : []
  }
}
