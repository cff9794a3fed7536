/**
 * From a resolved Hardhat `edr-simulated` network config to the node's
 * NodeConfig: configuration variables are resolved, Hardhat's hardfork names
 * mapped to ethereumjs', and what the node cannot simulate (forking, OP
 * chains, hardforks ethereumjs does not know) is reported as a reason to keep
 * that connection on EDR.
 */
import type { EdrNetworkConfig } from "hardhat/types/config"

import type { Hex } from "../engine/types.js"
import type { AccountsConfig, NodeConfig } from "../network/index.js"
import type { PevmConfig } from "./config.js"

/** Hardhat's hardfork names that ethereumjs spells differently. */
const HARDFORK_NAMES: Readonly<Record<string, string>> = { merge: "paris" }

const SUPPORTED_HARDFORKS = new Set([
  "byzantium",
  "constantinople",
  "petersburg",
  "istanbul",
  "muirGlacier",
  "berlin",
  "london",
  "arrowGlacier",
  "grayGlacier",
  "paris",
  "shanghai",
  "cancun",
  "prague",
  "osaka",
])

/** Why this network must stay on EDR, or undefined when the node can run it. */
export function unsupportedReason(config: EdrNetworkConfig, chainType: string | undefined): string | undefined {
  if (config.forking?.enabled === true) return "forking is not supported"
  if (chainType !== undefined && chainType !== "l1" && chainType !== "generic") return `chain type "${chainType}" is not supported`
  const hardfork = HARDFORK_NAMES[config.hardfork] ?? config.hardfork
  if (!SUPPORTED_HARDFORKS.has(hardfork)) return `hardfork "${config.hardfork}" is not supported`
  return undefined
}

async function accountsOf(accounts: EdrNetworkConfig["accounts"]): Promise<AccountsConfig> {
  if (Array.isArray(accounts)) {
    return Promise.all(
      accounts.map(async (account) => {
        const key = (await account.privateKey.get()).toLowerCase()
        return { privateKey: (key.startsWith("0x") ? key : `0x${key}`) as Hex, balance: account.balance }
      }),
    )
  }
  return {
    mnemonic: await accounts.mnemonic.get(),
    passphrase: await accounts.passphrase.get(),
    path: accounts.path,
    initialIndex: accounts.initialIndex,
    count: accounts.count,
    balance: accounts.accountsBalance,
  }
}

/** A block gas limit of `false` (no limit) becomes one no block reaches. */
const UNLIMITED_GAS = 2n ** 63n - 1n

export async function nodeConfigOf(network: EdrNetworkConfig, pevm: PevmConfig): Promise<Partial<NodeConfig>> {
  const gasCap = network.transactionGasCap
  return {
    chainId: BigInt(network.chainId),
    networkId: BigInt(network.networkId),
    hardfork: HARDFORK_NAMES[network.hardfork] ?? network.hardfork,
    accounts: await accountsOf(network.accounts),
    blockGasLimit: network.blockGasLimit === false ? UNLIMITED_GAS : (network.blockGasLimit ?? 60_000_000n),
    ...(gasCap !== undefined && gasCap !== false ? { transactionGasCap: gasCap } : {}),
    ...(gasCap === false ? { transactionGasCap: UNLIMITED_GAS } : {}),
    ...(network.initialBaseFeePerGas !== undefined ? { initialBaseFeePerGas: network.initialBaseFeePerGas } : {}),
    minGasPrice: network.minGasPrice,
    coinbase: `0x${Buffer.from(network.coinbase).toString("hex")}`,
    mining: { auto: network.mining.auto, interval: network.mining.interval, mempoolOrder: network.mining.mempool.order },
    allowUnlimitedContractSize: network.allowUnlimitedContractSize ?? false,
    allowBlocksWithSameTimestamp: network.allowBlocksWithSameTimestamp,
    throwOnTransactionFailures: network.throwOnTransactionFailures,
    throwOnCallFailures: network.throwOnCallFailures,
    gasEstimationMode: network.gasEstimationMode,
    initialDate: new Date(network.initialDate),
    recordAccess: pevm.record,
    workers: pevm.workers,
  }
}
