/**
 * Slots that no storage layout lists because the code computes them from a
 * constant: ERC-7201 namespaces (`keccak256(abi.encode(uint256(keccak256(id)) - 1)) & ~0xff`,
 * as OpenZeppelin 5 uses for ReentrancyGuard and the upgradeable contracts) and
 * the EIP-1967 proxy slots. A few well-known ones carry member names; the rest
 * are named after their namespace id.
 */
import type { Hex } from "../engine/types.js"
import { keccakHex, keccakText, word } from "./format.js"

/** The first slot of an ERC-7201 namespace. */
export function erc7201Slot(id: string): Hex {
  const inner = BigInt(keccakText(id)) - 1n
  const outer = BigInt(keccakHex(word(inner))) & ~0xffn
  return word(outer)
}

export interface KnownSlot {
  /** How the slot is shown after the contract name, e.g. "ReentrancyGuard._status". */
  readonly name: string
  /** Where the name comes from, for the report's note. */
  readonly origin: string
  readonly type?: string
}

function eip1967(id: string): bigint {
  return BigInt(keccakText(id)) - 1n
}

/** Namespaces whose members are known: id -> member names by slot offset. */
const KNOWN_NAMESPACES: Readonly<Record<string, { readonly label: string; readonly members: readonly (readonly [string, string])[] }>> = {
  "openzeppelin.storage.ReentrancyGuard": { label: "ReentrancyGuard", members: [["_status", "uint256"]] },
  "openzeppelin.storage.Initializable": { label: "Initializable", members: [["_initialized / _initializing", "uint64 / bool"]] },
  "openzeppelin.storage.Ownable": { label: "Ownable", members: [["_owner", "address"]] },
  "openzeppelin.storage.Pausable": { label: "Pausable", members: [["_paused", "bool"]] },
}

const FIXED: ReadonlyMap<bigint, KnownSlot> = new Map([
  [eip1967("eip1967.proxy.implementation"), { name: "<EIP-1967 implementation>", origin: "EIP-1967 proxy slot", type: "address" }],
  [eip1967("eip1967.proxy.admin"), { name: "<EIP-1967 admin>", origin: "EIP-1967 proxy slot", type: "address" }],
  [eip1967("eip1967.proxy.beacon"), { name: "<EIP-1967 beacon>", origin: "EIP-1967 proxy slot", type: "address" }],
])

/**
 * Names slots derived from constants: the EIP-1967 slots, and the first slots
 * of the given ERC-7201 namespaces plus the well-known OpenZeppelin ones.
 */
export class KnownSlots {
  private readonly slots = new Map<bigint, KnownSlot>(FIXED)

  constructor(namespaceIds: Iterable<string> = []) {
    for (const id of [...Object.keys(KNOWN_NAMESPACES), ...namespaceIds]) {
      const base = BigInt(erc7201Slot(id))
      const known = KNOWN_NAMESPACES[id]
      const origin = `ERC-7201 namespace ${id}`
      if (known !== undefined) {
        known.members.forEach(([member, type], i) => this.slots.set(base + BigInt(i), { name: `${known.label}.${member}`, origin, type }))
      } else if (!this.slots.has(base)) {
        this.slots.set(base, { name: `<erc7201:${id}>`, origin })
        // Later members of an unknown namespace struct: a few slots after the base.
        for (let i = 1n; i < 16n; i++) if (!this.slots.has(base + i)) this.slots.set(base + i, { name: `<erc7201:${id}>+${i}`, origin })
      }
    }
  }

  get(slot: bigint): KnownSlot | undefined {
    return this.slots.get(slot)
  }
}
