/**
 * Test support for the analysis: compiles test/analysis/contracts with the npm
 * `solc` package (offline; OpenZeppelin imports resolved from node_modules;
 * output cached under node_modules/.cache), and drives a real PevmProvider with
 * recording on: deploy, send many transactions with automine off, mine them
 * as one block, take the run record.
 */
import { createHash } from "node:crypto"
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

import { Interface } from "ethers"

import { artifactsFromSolcOutput, type ContractArtifact, type SolcOutput, type SolcSources } from "../../src/analysis/index.js"
import type { Hex } from "../../src/engine/types.js"
import { PevmProvider } from "../../src/network/provider.js"
import type { RunRecord } from "../../src/network/record.js"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..", "..")
const require = createRequire(import.meta.url)

interface Compiled {
  readonly output: SolcOutput & { contracts: Record<string, Record<string, { abi: unknown[]; evm: { bytecode: { object: string } } }>> }
  readonly sources: SolcSources
}

let compiled: Compiled | undefined

export function compileAnalysisContracts(): Compiled {
  if (compiled !== undefined) return compiled
  const dir = join(here, "contracts")
  const sources: Record<string, { content: string }> = {}
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".sol")).sort()) sources[`contracts/${file}`] = { content: readFileSync(join(dir, file), "utf8") }
  const input = {
    language: "Solidity",
    sources,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: {
        "*": {
          "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "evm.deployedBytecode.immutableReferences", "evm.deployedBytecode.linkReferences", "storageLayout"],
        },
      },
    },
  }
  const solc = require("solc") as { compile(input: string, callbacks: { import(path: string): { contents?: string; error?: string } }): string; version(): string }
  const key = createHash("sha256").update(solc.version()).update(JSON.stringify(input)).digest("hex").slice(0, 16)
  const cacheDir = join(root, "node_modules", ".cache", "hardhat-pevm")
  const cacheFile = join(cacheDir, `analysis-${key}.json`)
  if (existsSync(cacheFile)) {
    compiled = JSON.parse(readFileSync(cacheFile, "utf8")) as Compiled
    return compiled
  }
  const allSources: Record<string, { content: string }> = { ...sources }
  const output = JSON.parse(
    solc.compile(JSON.stringify(input), {
      import(path: string) {
        const file = join(root, "node_modules", path)
        if (!existsSync(file)) return { error: `not found: ${path}` }
        const content = readFileSync(file, "utf8")
        allSources[path] = { content }
        return { contents: content }
      },
    }),
  ) as Compiled["output"] & { errors?: { severity: string; formattedMessage: string }[] }
  const errors = (output.errors ?? []).filter((e) => e.severity === "error")
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"))
  compiled = { output: { contracts: output.contracts }, sources: allSources }
  mkdirSync(cacheDir, { recursive: true })
  writeFileSync(cacheFile, JSON.stringify(compiled))
  return compiled
}

export function testArtifacts(): ContractArtifact[] {
  const { output, sources } = compileAnalysisContracts()
  return artifactsFromSolcOutput(output, { sources })
}

function contractOutput(name: string): { abi: unknown[]; bytecode: string } {
  for (const file of Object.values(compileAnalysisContracts().output.contracts)) {
    const c = file[name]
    if (c !== undefined) return { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` }
  }
  throw new Error(`no contract ${name}`)
}

export function iface(name: string): Interface {
  return new Interface(contractOutput(name).abi as never)
}

/** Hardhat's default accounts 0..19. */
export const ACCOUNTS: Hex[] = [
  "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
  "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
  "0x90f79bf6eb2c4f870365e785982e1f101e93b906",
  "0x15d34aaf54267db7d7c367839aaf71a00a2c6a65",
  "0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc",
  "0x976ea74026e726554db657fa54763abd0c3a0aa9",
  "0x14dc79964da2c08b23698b3d3cc7ca32193d9955",
  "0x23618e81e3f5cdf7f54c3d65f7fbc0abf5b21e8f",
  "0xa0ee7a142d267c1f36714e4a8f75612f20a79720",
  "0xbcd4042de499d14e55001ccbb24a551f3b954096",
  "0x71be63f3384f5fb98995898a86b02fb2426c5788",
  "0xfabb0ac9d68b0b445fb7357272ff202c5651694a",
  "0x1cbd3b2770909d4e10f157cabc84c7264073c9ec",
  "0xdf3e18d64bc6a983f673ab319ccae4f1a57c7097",
  "0xcd3b766ccdd6ae721141f452c550ca635964ce71",
  "0x2546bcd3c84621e976d8185a91a922ae77ecec30",
  "0xbda5747bfd65f08deb54cb465eb87d40e51b197e",
  "0xdd2fd4581271e230360230f9337d5c0430b9e6b0",
  "0x8626f6940e2eb28930efb4cef49b2d1f2c9c1199",
]

/** A deterministic address that no default account has, for impersonated senders and fresh recipients. */
export function fakeAddress(seed: string): Hex {
  return `0x${createHash("sha256").update(seed).digest("hex").slice(0, 40)}`
}

/** A PevmProvider with recording on, and helpers to deploy and batch transactions. */
export class TestChain {
  readonly provider = new PevmProvider({ workers: 2, printLine: () => undefined })

  call(method: string, params: unknown[] = []): Promise<unknown> {
    return this.provider.request({ method, params })
  }

  async deploy(name: string, args: unknown[] = [], from: Hex = ACCOUNTS[0] as Hex): Promise<Hex> {
    const { bytecode } = contractOutput(name)
    const data = `${bytecode}${iface(name).encodeDeploy(args).slice(2)}`
    const hash = (await this.call("eth_sendTransaction", [{ from, data }])) as Hex
    if ((await this.call("hardhat_getAutomine")) === false) await this.call("evm_mine")
    const receipt = (await this.call("eth_getTransactionReceipt", [hash])) as { contractAddress: Hex; status: string }
    if (receipt.status !== "0x1") throw new Error(`deploying ${name} failed`)
    return receipt.contractAddress
  }

  /** Lets `address` send transactions and gives it 1000 ETH. */
  async fund(address: Hex): Promise<void> {
    await this.call("hardhat_impersonateAccount", [address])
    await this.call("hardhat_setBalance", [address, "0x3635c9adc5dea00000"])
  }

  async automine(on: boolean): Promise<void> {
    await this.call("evm_setAutomine", [on])
  }

  /** Sends without mining (automine off); returns the hash. */
  async send(from: Hex, to: Hex, contract: string, fn: string, args: unknown[] = [], value = 0n): Promise<Hex> {
    const data = iface(contract).encodeFunctionData(fn, args)
    return (await this.call("eth_sendTransaction", [{ from, to, data, gas: "0x7a120", ...(value > 0n ? { value: `0x${value.toString(16)}` } : {}) }])) as Hex
  }

  async mine(): Promise<void> {
    await this.call("evm_mine")
  }

  record(): RunRecord {
    return this.provider.recorder.take()
  }

  close(): Promise<void> {
    return this.provider.close()
  }
}
