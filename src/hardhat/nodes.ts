/**
 * The parallel-EVM nodes of this process: one PevmProvider per Hardhat network
 * connection, created on the connection's first request from its resolved
 * `edr-simulated` config. Connections that the node cannot simulate (forking,
 * OP chains) stay on EDR, with a warning. Records are saved per process, so
 * that mocha's parallel workers each contribute their part.
 */
import type { NetworkConnection } from "hardhat/types/network"
import type { HookContext } from "hardhat/types/hooks"

import { PevmProvider } from "../network/index.js"
import { customErrorDescriber, type CustomErrorDescriber } from "./customErrors.js"
import { nodeConfigOf, unsupportedReason } from "./networkConfig.js"
import { writeRunPart } from "./runFiles.js"

const nodes = new WeakMap<object, Promise<PevmProvider | undefined>>()
const live = new Set<PevmProvider>()
const warned = new Set<string>()
let describer: Promise<CustomErrorDescriber> | undefined

/** `--parallel-evm` or `pevm.enabled`. */
export function pevmEnabled(context: Pick<HookContext, "globalOptions" | "config">): boolean {
  return context.globalOptions.parallelEvm === true || context.config.pevm.enabled
}

async function createNode(context: HookContext, connection: NetworkConnection<string>): Promise<PevmProvider | undefined> {
  const network = connection.networkConfig
  if (network.type !== "edr-simulated") return undefined
  const reason = unsupportedReason(network, connection.chainType)
  if (reason !== undefined) {
    if (!warned.has(connection.networkName)) {
      warned.add(connection.networkName)
      console.warn(`hardhat-pevm: network "${connection.networkName}" stays on Hardhat's EDR: ${reason}`)
    }
    return undefined
  }
  describer ??= customErrorDescriber(context.artifacts)
  const describeCustomError = await describer
  const provider = new PevmProvider({ ...(await nodeConfigOf(network, context.config.pevm)), describeCustomError })
  live.add(provider)
  return provider
}

/** The node serving this connection, or undefined when it stays on EDR. */
export function nodeFor(context: HookContext, connection: NetworkConnection<string>): Promise<PevmProvider | undefined> {
  let node = nodes.get(connection)
  if (node === undefined) {
    node = createNode(context, connection)
    nodes.set(connection, node)
  }
  return node
}

/** Saves this connection's record and closes its node. */
export async function closeNode(connection: NetworkConnection<string>, outputDir: string): Promise<void> {
  const node = await nodes.get(connection)
  nodes.delete(connection)
  if (node === undefined) return
  live.delete(node)
  await writeRunPart(outputDir, node.recorder.take())
  await node.close()
}

/** Saves what every open node recorded since the last save. */
export async function saveRecordParts(outputDir: string): Promise<void> {
  for (const node of live) await writeRunPart(outputDir, node.recorder.take())
}

