/**
 * The plugin inside a real Hardhat runtime (in-process): config validation and
 * resolution, and which connections `--parallel-evm` moves onto our node —
 * `network.connect()`, `create()` and `getOrCreate()`, in either plugin order
 * with the mocha-ethers toolbox — while EDR keeps the rest.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

import hardhatToolboxMochaEthers from "@nomicfoundation/hardhat-toolbox-mocha-ethers"
import { expect } from "chai"
import { HardhatPluginError } from "hardhat/plugins"
import { createHardhatRuntimeEnvironment } from "hardhat/hre"
import type { HardhatUserConfig } from "hardhat/config"
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre"

import hardhatPevm from "../../src/hardhat/index.js"

/** Hardhat rewrites web3_clientVersion for every edr-simulated network; hardhat_metadata tells the nodes apart. */
const isPevm = async (provider: { request(args: { method: string }): Promise<unknown> }) =>
  ((await provider.request({ method: "hardhat_metadata" })) as { clientVersion: string }).clientVersion.includes("hardhat-pevm")

describe("hardhat: the plugin in a Hardhat runtime", function () {
  let root: string

  before(function () {
    root = mkdtempSync(join(tmpdir(), "pevm-plugin-"))
    writeFileSync(join(root, "package.json"), JSON.stringify({ name: "probe", private: true, type: "module" }))
  })

  after(function () {
    rmSync(root, { recursive: true, force: true })
  })

  const hre = (config: HardhatUserConfig, parallelEvm = false): Promise<HardhatRuntimeEnvironment> =>
    createHardhatRuntimeEnvironment({ plugins: [hardhatPevm], ...config }, { parallelEvm }, root)

  describe("config", function () {
    it("rejects bad values with a HardhatPluginError naming each path and what it expects", async function () {
      const bad = { workers: 0, record: "yes", thresholds: { Token: { maxConflictRate: 2, functions: { mint: { minSpeedup: 0.5 } } } }, extra: 1 }
      const error = await hre({ pevm: bad as never }).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(error).to.be.instanceOf(HardhatPluginError)
      const message = (error as Error).message
      expect(message).to.include("config.pevm.workers: expected a whole number of at least 1")
      expect(message).to.include("config.pevm.record: expected true or false")
      expect(message).to.include("config.pevm.thresholds.Token.maxConflictRate: expected a number between 0 and 1")
      expect(message).to.include("config.pevm.thresholds.Token.functions.mint.minSpeedup: expected a number of at least 1")
      expect(message).to.include('config.pevm: unknown key "extra"')
    })

    it("resolves defaults and turns on solc's storageLayout output in every profile", async function () {
      const runtime = await hre({ solidity: { profiles: { default: { version: "0.8.28" }, production: { version: "0.8.28" } } } })
      expect(runtime.config.pevm.enabled).to.equal(false)
      expect(runtime.config.pevm.record).to.equal(true)
      expect(runtime.config.pevm.workers).to.be.at.least(2)
      expect(runtime.config.pevm.outputDir).to.equal(join(runtime.config.paths.cache, "pevm"))
      for (const profile of Object.values(runtime.config.solidity.profiles)) {
        for (const compiler of profile.compilers) {
          const selection = compiler.settings.outputSelection as Record<string, Record<string, string[]>>
          expect(selection["*"]?.["*"]).to.include("storageLayout")
        }
      }
    })

    it("resolves a relative outputDir against the project root", async function () {
      const runtime = await hre({ pevm: { outputDir: "reports/pevm", workers: 3 } })
      expect(runtime.config.pevm.outputDir).to.equal(join(root, "reports", "pevm"))
      expect(runtime.config.pevm.workers).to.equal(3)
    })
  })

  describe("connections", function () {
    it("leaves every connection on EDR without the flag", async function () {
      const runtime = await hre({})
      const connection = await runtime.network.create()
      expect(await isPevm(connection.provider)).to.equal(false)
      await connection.close()
    })

    for (const order of ["pevm first", "toolbox first"] as const) {
      it(`moves connect(), create() and getOrCreate() to our node with --parallel-evm (${order})`, async function () {
        const plugins = order === "pevm first" ? [hardhatPevm, hardhatToolboxMochaEthers] : [hardhatToolboxMochaEthers, hardhatPevm]
        const runtime = await createHardhatRuntimeEnvironment({ plugins }, { parallelEvm: true }, root)
        const created = await runtime.network.create()
        const shared = await runtime.network.getOrCreate()
        const connected = await runtime.network.connect()
        for (const connection of [created, shared, connected]) expect(await isPevm(connection.provider)).to.equal(true)

        // hardhat-ethers on top of our node: a transfer, with Hardhat's errors.
        const [alice, bob] = await created.ethers.getSigners()
        const before = await created.ethers.provider.getBalance(bob!.address)
        await (await alice!.sendTransaction({ to: bob!.address, value: 1000n })).wait()
        expect((await created.ethers.provider.getBalance(bob!.address)) - before).to.equal(1000n)
        const tooMuch = await alice!.sendTransaction({ to: bob!.address, value: 10n ** 30n }).then(
          () => undefined,
          (e: unknown) => e as Error,
        )
        // Hardhat's (EDR's) wording for insufficient funds.
        expect(tooMuch?.message).to.match(/Sender doesn't have enough funds to send tx/)
        for (const connection of [created, connected]) await connection.close()
      })
    }

    it("honours the network's own config (chain id, accounts)", async function () {
      const runtime = await hre(
        { networks: { custom: { type: "edr-simulated", chainId: 4242, accounts: { mnemonic: "test test test test test test test test test test test junk", count: 3 } } } },
        true,
      )
      const connection = await runtime.network.create("custom")
      expect(await isPevm(connection.provider)).to.equal(true)
      expect(await connection.provider.request({ method: "eth_chainId" })).to.equal("0x1092")
      expect(await connection.provider.request({ method: "eth_accounts" })).to.have.length(3)
      await connection.close()
    })

    it("keeps an OP chain on EDR, since the node cannot simulate it", async function () {
      const runtime = await hre({ networks: { op: { type: "edr-simulated", chainType: "op" } } }, true)
      const connection = await runtime.network.create({ network: "op", chainType: "op" })
      expect(await isPevm(connection.provider)).to.equal(false)
      await connection.close()
    })

    it("fills gas, fees and sender as Hardhat's request handlers do, so a batch comes out as on EDR", async function () {
      /** Sends with the handlers' defaults and a wallet's own fees, with automine off; what each node made of them. */
      const scenario = async (parallelEvm: boolean) => {
        const runtime = await createHardhatRuntimeEnvironment(
          { plugins: [hardhatPevm, hardhatToolboxMochaEthers], networks: { multiplied: { type: "edr-simulated", gasMultiplier: 1.5 } } },
          { parallelEvm },
          root,
        )
        const connection = await runtime.network.create("multiplied")
        const { ethers, provider } = connection
        expect(await isPevm(provider)).to.equal(parallelEvm)
        const [owner, other] = await ethers.getSigners()
        const wallet = new ethers.Wallet(ethers.id("request-defaults"), ethers.provider)
        await provider.request({ method: "hardhat_setBalance", params: [wallet.address, "0xde0b6b3a7640000"] })
        // A contract whose every call reverts: PUSH1 0 PUSH1 0 REVERT.
        const reverter = "0x00000000000000000000000000000000000000aa"
        await provider.request({ method: "hardhat_setCode", params: [reverter, "0x60006000fd"] })
        await provider.request({ method: "evm_setAutomine", params: [false] })
        // No gas, no fees, no from: all three come from the handlers.
        const viaDefaults = (await provider.request({ method: "eth_sendTransaction", params: [{ to: other!.address, value: "0x1" }] })) as string
        const viaWallet = await wallet.sendTransaction({ to: other!.address, value: 1n })
        // With automine off only the gas estimate can refuse a reverting transaction.
        const refused = await owner!.sendTransaction({ to: reverter, data: "0x12345678" }).then(
          () => "accepted",
          (e: unknown) => (e as Error).message,
        )
        await provider.request({ method: "evm_mine", params: [] })
        const sent = (await provider.request({ method: "eth_getTransactionByHash", params: [viaDefaults] })) as Record<string, string>
        const receipts = await Promise.all([ethers.provider.getTransactionReceipt(viaDefaults), viaWallet.wait()])
        await connection.close()
        return {
          from: sent["from"],
          gas: sent["gas"],
          maxFeePerGas: sent["maxFeePerGas"],
          maxPriorityFeePerGas: sent["maxPriorityFeePerGas"],
          indexes: receipts.map((r) => r?.index),
          refused,
        }
      }
      const onEdr = await scenario(false)
      const onPevm = await scenario(true)
      expect(onPevm).to.deep.equal(onEdr)
      // What the handlers did on both: EDR's estimate for a transfer (21,001) × 1.5, the first account, a median tip below the wallet's 1 gwei.
      expect(onPevm.gas).to.equal("0x7b0d")
      expect(onPevm.from).to.equal("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266")
      expect(onPevm.indexes).to.deep.equal([1, 0])
      expect(onPevm.refused).to.not.equal("accepted")
    })

    it("runs with pevm.enabled in the config and no flag", async function () {
      const runtime = await hre({ pevm: { enabled: true } })
      const connection = await runtime.network.create()
      expect(await isPevm(connection.provider)).to.equal(true)
      await connection.close()
    })
  })
})
