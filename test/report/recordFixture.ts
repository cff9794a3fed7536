/**
 * Regenerates `recorded-report.json`, the report tests' fixture from a real
 * run: one chain on which 12 users each mint an Nft (global counter), send a
 * FeeToken transfer (total supply and a counter written on every transfer),
 * swap on one Pool (packed reserves) and deposit into a Vault (OpenZeppelin's
 * storage reentrancy guard), mined four users to a block, then an Nft
 * transfer and a Vault withdrawal; analysed with replay on two workers.
 *
 *   node --import tsx test/report/recordFixture.ts
 *
 * Not a test (mocha runs only *.test.ts); run it again when the analysis
 * output changes in a way the report tests should see.
 */
import { writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

import { analyzeRun } from "../../src/analysis/index.js"
import { shutdownExecutors } from "../../src/engine/index.js"
import type { Hex } from "../../src/engine/types.js"
import { ACCOUNTS, TestChain, fakeAddress, testArtifacts } from "../analysis/helpers.js"

const out = join(dirname(fileURLToPath(import.meta.url)), "recorded-report.json")

async function main(): Promise<void> {
  const chain = new TestChain()
  try {
    const users = Array.from({ length: 12 }, (_, i) => fakeAddress(`mix-sender-${i}`))
    for (const u of users) await chain.fund(u)
    const nft = await chain.deploy("Nft")
    const fee = await chain.deploy("FeeToken", [users, 10n ** 21n])
    const pool = await chain.deploy("Pool", [10n ** 24n, 10n ** 24n])
    const vault = await chain.deploy("Vault")
    await chain.automine(false)
    for (const [i, u] of users.entries()) {
      await chain.send(u, nft, "Nft", "mint")
      await chain.send(u, fee, "FeeToken", "transfer", [fakeAddress(`mix-recipient-${i % 4}`), 1000n])
      await chain.send(u, pool, "Pool", "swap0for1", [1000n + BigInt(i)])
      await chain.send(u, vault, "Vault", "deposit", [], 10n ** 18n)
      if (i % 4 === 3) await chain.mine()
    }
    await chain.mine()
    await chain.send(users[3] as Hex, nft, "Nft", "transfer", [ACCOUNTS[1], 3n])
    await chain.send(users[2] as Hex, vault, "Vault", "withdraw", [10n ** 17n])
    await chain.mine()
    const report = await analyzeRun(chain.record(), testArtifacts(), { replay: { workers: 2 }, now: new Date("2025-01-15T12:00:00.000Z") })
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`wrote ${out}: ${report.contracts.map((c) => `${c.name} (${c.transactions} txs)`).join(", ")}`)
  } finally {
    await chain.close()
    await shutdownExecutors()
  }
}

await main()
