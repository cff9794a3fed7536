/**
 * Slot names from storage layouts and recorded keccak preimages, on a real
 * run: every slot the transactions wrote or read is named as Solidity writes
 * it (mapping keys, nested mappings, struct members, array elements, packed
 * variables, ERC-7201 namespaces), and what cannot be named stays hex with a
 * note. Also the key formats.
 */
import { expect } from "chai"

import type { ContractArtifact } from "../../src/analysis/artifacts.js"
import { checksumAddress, formatKey, keccakHex, shortAddress, word } from "../../src/analysis/format.js"
import { slotDisplayName } from "../../src/analysis/hotSlots.js"
import { KnownSlots, erc7201Slot } from "../../src/analysis/namespaces.js"
import { PreimageIndex, SlotNamer } from "../../src/analysis/slotNames.js"
import type { Hex } from "../../src/engine/types.js"
import type { RunRecord } from "../../src/network/record.js"
import { ACCOUNTS, TestChain, testArtifacts } from "./helpers.js"

const [A0, A1, A2, A3, A4] = ACCOUNTS as [Hex, Hex, Hex, Hex, Hex]

describe("analysis: slot names", function () {
  let record: RunRecord
  const at: Record<string, Hex> = {}
  let preimages: PreimageIndex

  before(async function () {
    const chain = new TestChain()
    try {
      at.Token = await chain.deploy("Token", [[A0, A2], 10n ** 21n])
      at.Router = await chain.deploy("Router")
      at.Nft = await chain.deploy("Nft")
      at.Registry = await chain.deploy("Registry")
      at.Pool = await chain.deploy("Pool", [10n ** 24n, 10n ** 24n])
      at.Vault = await chain.deploy("Vault")
      await chain.automine(false)
      await chain.send(A0, at.Token, "Token", "transfer", [A1, 5n])
      await chain.send(A2, at.Token, "Token", "approve", [at.Router, 100n])
      for (let i = 0; i < 43; i++) await chain.send(A2, at.Nft, "Nft", "mint")
      await chain.send(A3, at.Registry, "Registry", "join", [11n])
      await chain.send(A4, at.Registry, "Registry", "join", [12n])
      await chain.send(A1, at.Pool, "Pool", "swap0for1", [1000n])
      await chain.send(A1, at.Vault, "Vault", "deposit", [], 1n)
      await chain.mine()
      await chain.send(A2, at.Router, "Router", "pay", [at.Token, A3, 7n])
      await chain.mine()
      record = chain.record()
    } finally {
      await chain.close()
    }
    preimages = new PreimageIndex()
    for (const tx of record.sessions[0]?.transactions ?? []) for (const p of tx.preimages ?? []) preimages.add(p, keccakHex(p))
  })

  function artifact(name: string): ContractArtifact {
    const found = testArtifacts().find((a) => a.name === name)
    if (found === undefined) throw new Error(`no artifact ${name}`)
    return found
  }

  function namerFor(name: string): SlotNamer {
    const a = artifact(name)
    return new SlotNamer(a.storageLayout, preimages, new KnownSlots((a.namespaces ?? []).map((n) => n.id)), name)
  }

  /** The names of every storage slot of `name`'s instance that the run touched (after deployment). */
  function touched(name: string): string[] {
    const namer = namerFor(name)
    const slots = new Set<Hex>()
    for (const tx of record.sessions[0]?.transactions ?? []) {
      if (tx.created !== undefined) continue
      for (const key of [...tx.reads, ...tx.writes]) if ("slot" in key && key.address === at[name]) slots.add(key.slot)
    }
    return [...slots].map((slot) => slotDisplayName(name, slot, namer.name(slot))).sort()
  }

  it("names ERC-20 balances and nested allowances with checksummed, shortened addresses", function () {
    const names = touched("Token")
    expect(names).to.include("Token._balances[0x7099…79C8]")
    expect(names).to.include("Token._balances[0xf39F…2266]")
    expect(names).to.include("Token._balances[0x3C44…93BC]")
    expect(names).to.include(`Token._allowances[0x3C44…93BC][${shortAddress(at.Router as string)}]`)
    expect(names.every((n) => !n.includes(":0x"))).to.equal(true)
  })

  it("names uint keys in decimal, and fixed variables by their label", function () {
    const names = touched("Nft")
    expect(names).to.include("Nft._owners[42]")
    expect(names).to.include("Nft._owners[0]")
    expect(names).to.include("Nft.nextId")
    expect(names).to.include("Nft._balances[0x3C44…93BC]")
    const named = namerFor("Nft").name(BigInt(keccakHex(`${word(42n)}${word(1n).slice(2)}`)))
    expect(named).to.deep.include({ root: "hashed", keys: [42n] })
    expect(named.leaves[0]).to.deep.include({ path: "_owners[42]", type: "address" })
  })

  it("names dynamic array elements, the array's length slot and struct members under a mapping key", function () {
    const names = touched("Registry")
    expect(names).to.include.members([
      "Registry.members",
      "Registry.members[0]",
      "Registry.members[1]",
      "Registry.lastUpdate",
      "Registry.positions[0x90F7…b906].amount / Registry.positions[0x90F7…b906].debt",
      "Registry.positions[0x90F7…b906].updated",
      "Registry.positions[0x15d3…6A65].updated",
    ])
    const struct = namerFor("Registry").name(BigInt(keccakHex(`${word(BigInt(A3))}${word(2n).slice(2)}`)) + 1n)
    expect(struct.leaves.map((l) => [l.path, l.type])).to.deep.equal([["positions[0x90F7…b906].updated", "uint256"]])
  })

  it("lists packed variables with their byte ranges", function () {
    const slot0 = namerFor("Pool").name(0n)
    expect(slot0.root).to.equal("fixed")
    expect(slot0.leaves.map((l) => [l.path, l.type, l.byteOffset, l.bytes])).to.deep.equal([
      ["reserve0", "uint112", 0, 14],
      ["reserve1", "uint112", 14, 14],
      ["blockTimestampLast", "uint32", 28, 4],
    ])
    expect(touched("Pool")).to.include("Pool.reserve0 / Pool.reserve1 / Pool.blockTimestampLast")
  })

  it("names ERC-7201 and EIP-1967 slots from their constants", function () {
    expect(erc7201Slot("openzeppelin.storage.ReentrancyGuard")).to.equal("0x9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00")
    expect(touched("Vault")).to.include("Vault.ReentrancyGuard._status")
    const guard = namerFor("Vault").name("0x9b779b17422d0df92223018b32b4d1fa46e071723d6817e2486d003becc55f00")
    expect(guard).to.deep.include({ root: "known", note: "named from its ERC-7201 namespace openzeppelin.storage.ReentrancyGuard" })
    const custom = new SlotNamer(undefined, preimages, new KnownSlots(["example.main"]), "X").name(BigInt(erc7201Slot("example.main")) + 2n)
    expect(custom.leaves[0]?.path).to.equal("<erc7201:example.main>+2")
    const implementation = BigInt(keccakHex(`0x${Buffer.from("eip1967.proxy.implementation").toString("hex")}`)) - 1n
    expect(namerFor("Token").name(implementation).leaves[0]?.path).to.equal("<EIP-1967 implementation>")
  })

  it("keeps unknown slots hex, with a note saying why", function () {
    const unknown = namerFor("Token").name(BigInt(keccakHex("0x1234")))
    expect(unknown.root).to.equal("unknown")
    expect(unknown.leaves).to.deep.equal([])
    expect(unknown.note).to.match(/no recorded keccak preimage/)
    expect(slotDisplayName("Token", word(5n), namerFor("Token").name(5n))).to.equal("Token:0x5")
    expect(namerFor("Token").name(5n).note).to.equal("0x5 is not in Token's storage layout")
    const noLayout = new SlotNamer(undefined, preimages, new KnownSlots(), "Bare").name(0n)
    expect(noLayout.note).to.match(/Bare has no storage layout/)
  })

  it("formats keys for their Solidity type", function () {
    expect(checksumAddress(A1)).to.equal("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
    expect(shortAddress(A1)).to.equal("0x7099…79C8")
    expect(formatKey(BigInt(A1), "contract IERC20")).to.equal("0x7099…79C8")
    expect(formatKey(42n, "uint256")).to.equal("42")
    expect(formatKey((1n << 256n) - 3n, "int256")).to.equal("-3")
    expect(formatKey(1n, "bool")).to.equal("true")
    expect(formatKey(2n, "enum Status")).to.equal("2")
    expect(formatKey(0xabcdn << 240n, "bytes2")).to.equal("0xabcd")
    expect(formatKey(BigInt(`0x${"12".repeat(32)}`), "bytes32")).to.equal("0x1212…1212")
  })
})
