/**
 * Contract artifacts: a real Hardhat 3 build (in a temporary project, with
 * this plugin turning on storageLayout) read back by `loadArtifacts`, used to
 * analyse a real run; and bytecode matching that ignores the metadata tail and
 * immutables but nothing else.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

import { expect } from "chai"
import { createHardhatRuntimeEnvironment } from "hardhat/hre"
import type { HardhatUserConfig } from "hardhat/config"

import { ArtifactsError, BytecodeMatcher, analyzeRun, loadArtifacts, type ContractArtifact, type LoadedArtifacts } from "../../src/analysis/index.js"
import { withoutMetadata } from "../../src/analysis/bytecode.js"
import { shutdownExecutors } from "../../src/engine/index.js"
import type { Hex } from "../../src/engine/types.js"
import hardhatPevm from "../../src/hardhat/index.js"
import { ACCOUNTS, TestChain, iface, testArtifacts } from "./helpers.js"

const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const [A0, A1, A2] = ACCOUNTS as [Hex, Hex, Hex]

describe("analysis: artifacts", function () {
  let root: string
  let loaded: LoadedArtifacts

  before(async function () {
    root = mkdtempSync(join(tmpdir(), "pevm-analysis-artifacts-"))
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "probe", private: true, type: "module", devDependencies: { "@openzeppelin/contracts": "5.7.0" } }))
    symlinkSync(join(here, "..", "..", "node_modules"), join(root, "node_modules"))
    mkdirSync(join(root, "contracts"))
    for (const file of ["Token.sol", "Vault.sol"]) copyFileSync(join(here, "contracts", file), join(root, "contracts", file))
    const config = { plugins: [hardhatPevm], solidity: { version: "0.8.28", path: require.resolve("solc/soljson.js") } } as unknown as HardhatUserConfig
    const hre = await createHardhatRuntimeEnvironment(config, {}, root)
    await hre.tasks.getTask("build").run({ quiet: true })
    loaded = loadArtifacts(join(root, "artifacts"))
  })

  after(async function () {
    rmSync(root, { recursive: true, force: true })
    await shutdownExecutors()
  })

  function named(name: string): ContractArtifact {
    const found = loaded.contracts.find((c) => c.name === name)
    if (found === undefined) throw new Error(`no ${name}: ${loaded.contracts.map((c) => c.name).join(", ")}`)
    return found
  }

  it("reads every deployable contract of a Hardhat 3 build, with the storage layout from its build info", function () {
    expect(loaded.warnings).to.deep.equal([])
    expect(loaded.contracts.map((c) => `${c.sourceName}:${c.name}`).sort()).to.include.members([
      "contracts/Token.sol:FeeToken",
      "contracts/Token.sol:Router",
      "contracts/Token.sol:Token",
      "contracts/Vault.sol:Locked",
      "contracts/Vault.sol:Vault",
    ])
    const token = named("Token")
    expect(token.abi.some((item) => item.name === "transfer")).to.equal(true)
    expect(token.deployedBytecode).to.match(/^0x[0-9a-f]+$/)
    expect(token.storageLayout?.storage.map((s) => s.label)).to.deep.equal(["_balances", "_allowances", "_totalSupply", "_name", "_symbol"])
    expect(Object.values(named("Router").immutableReferences ?? {})).to.have.length(1)
    expect(named("Locked").storageLayout?.storage.map((s) => [s.label, s.slot])).to.deep.equal([
      ["locked", "0"],
      ["notes", "1"],
    ])
  })

  it("feeds analyzeRun: a run of those artifacts' bytecode is attributed and its slots named", async function () {
    const artifactJson = (source: string, name: string): { bytecode: string } =>
      JSON.parse(readFileSync(join(root, "artifacts", "contracts", source, `${name}.json`), "utf8")) as { bytecode: string }
    const chain = new TestChain()
    let report
    try {
      const deploy = async (source: string, name: string, args: unknown[]): Promise<Hex> => {
        const data = `${artifactJson(source, name).bytecode}${iface(name).encodeDeploy(args).slice(2)}`
        const hash = await chain.call("eth_sendTransaction", [{ from: A0, data }])
        return ((await chain.call("eth_getTransactionReceipt", [hash])) as { contractAddress: Hex }).contractAddress
      }
      const token = await deploy("Token.sol", "Token", [[A0, A2], 1000n])
      const router = await deploy("Token.sol", "Router", [])
      await chain.send(A0, token, "Token", "transfer", [A1, 5n])
      await chain.send(A2, token, "Token", "approve", [router, 50n])
      await chain.send(A2, router, "Router", "pay", [token, A1, 5n])
      report = await analyzeRun(chain.record(), loaded.contracts, { replay: false })
    } finally {
      await chain.close()
    }
    expect(report.unknownContracts).to.deep.equal([])
    const token = report.contracts.find((c) => c.name === "Token")
    expect(token?.sourceName).to.equal("contracts/Token.sol")
    expect(token?.fullyQualifiedName).to.equal("contracts/Token.sol:Token")
    expect(token?.functions.map((f) => f.signature)).to.include.members(["transfer(address,uint256)", "approve(address,uint256)", "transferFrom(address,address,uint256)"])
    // _balances[0x7099…79C8] is written twice (transfer, then pay): a hot slot, named.
    expect(token?.hotSlots.map((s) => s.name)).to.include("Token._balances[0x7099…79C8]")
    expect(report.contracts.find((c) => c.name === "Router")?.functions.map((f) => [f.signature, f.transactions])).to.deep.equal([
      ["(deploy)", 1],
      ["pay(address,address,uint256)", 1],
    ])
  })

  it("warns when a build info is missing, and fails clearly without an artifacts folder", function () {
    const buildInfo = join(root, "artifacts", "build-info")
    const moved = `${buildInfo}-moved`
    renameSync(buildInfo, moved)
    try {
      const partial = loadArtifacts(join(root, "artifacts"))
      expect(partial.contracts.find((c) => c.name === "Token")?.storageLayout).to.equal(undefined)
      expect(partial.warnings.some((w) => /contracts\/Token\.sol\/Token\.json: build info .* not found/.test(w))).to.equal(true)
    } finally {
      renameSync(moved, buildInfo)
    }
    expect(() => loadArtifacts(join(root, "nowhere"))).to.throw(ArtifactsError, /run `npx hardhat build` first/)
  })

  describe("bytecode matching", function () {
    const artifacts = testArtifacts()
    const token = artifacts.find((a) => a.name === "Token") as ContractArtifact
    const router = artifacts.find((a) => a.name === "Router") as ContractArtifact

    it("ignores the CBOR metadata tail but not the code", function () {
      const matcher = new BytecodeMatcher(artifacts)
      const code = token.deployedBytecode
      const bytes = Buffer.from(code.slice(2), "hex")
      const metadataStart = withoutMetadata(bytes)
      expect(metadataStart).to.be.lessThan(bytes.length)
      expect(bytes[metadataStart]).to.be.within(0xa1, 0xa5)
      const otherMetadata = Buffer.from(bytes)
      otherMetadata[metadataStart + 10] = (otherMetadata[metadataStart + 10] as number) ^ 0xff
      expect(matcher.match(`0x${otherMetadata.toString("hex")}`)?.name).to.equal("Token")
      const otherCode = Buffer.from(bytes)
      otherCode[100] = (otherCode[100] as number) ^ 0xff
      expect(matcher.match(`0x${otherCode.toString("hex")}`)).to.equal(undefined)
      expect(withoutMetadata(Uint8Array.from([0x60, 0x00, 0x00, 0x05]))).to.equal(4)
    })

    it("ignores immutables: the deployed Router, with its immutable filled in, matches", async function () {
      const chain = new TestChain()
      try {
        const address = await chain.deploy("Router")
        await chain.call("evm_mine")
        const code = (await chain.call("eth_getCode", [address, "latest"])) as Hex
        expect(code).to.not.equal(router.deployedBytecode)
        expect(new BytecodeMatcher(artifacts).match(code)?.name).to.equal("Router")
        expect(new BytecodeMatcher(artifacts.filter((a) => a !== router)).match(code)).to.equal(undefined)
        // Without the immutable's positions the filled-in code does not match.
        expect(new BytecodeMatcher([{ ...router, immutableReferences: {} }]).match(code)).to.equal(undefined)
      } finally {
        await chain.close()
      }
    })
  })
})
