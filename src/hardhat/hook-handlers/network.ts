import type { NetworkHooks } from "hardhat/types/hooks"
import type { JsonRpcResponse } from "hardhat/types/providers"

import { JsonRpcError } from "../../network/index.js"
import { closeNode, nodeFor, pevmEnabled } from "../nodes.js"
import { RequestDefaults, type RequestDefaultsConfig } from "../requestDefaults.js"

/**
 * With `--parallel-evm`, our node answers every request of an edr-simulated
 * connection and `next` (EDR) is never called; the answer is a JSON-RPC
 * response, so Hardhat's provider turns errors into ProviderErrors with their
 * code and data as it does for EDR's. Hardhat's built-in request handlers
 * (gas, fees, sender) run after ours in the chain, so `RequestDefaults` does
 * their work first.
 */
export default async (): Promise<Partial<NetworkHooks>> => {
  const defaults = new WeakMap<object, RequestDefaults>()
  return {
    onRequest: async (context, connection, request, next) => {
      if (!pevmEnabled(context)) return next(context, connection, request)
      const node = await nodeFor(context, connection)
      if (node === undefined) return next(context, connection, request)
      const id = request.id
      let connectionDefaults = defaults.get(connection)
      if (connectionDefaults === undefined)
        defaults.set(connection, (connectionDefaults = new RequestDefaults(node, connection.networkConfig as RequestDefaultsConfig)))
      try {
        const params = await connectionDefaults.apply(request.method, request.params)
        const result: unknown = await node.request({
          method: request.method,
          ...(params !== undefined ? { params } : {}),
        })
        return { jsonrpc: "2.0", id, result } satisfies JsonRpcResponse
      } catch (error) {
        if (!(error instanceof JsonRpcError)) throw error
        return {
          jsonrpc: "2.0",
          id,
          error: {
            code: error.code,
            message: error.message,
            ...(error.data !== undefined ? { data: error.data } : {}),
          },
        } satisfies JsonRpcResponse
      }
    },

    closeConnection: async (context, connection, next) => {
      await closeNode(connection, context.config.pevm.outputDir)
      return next(context, connection)
    },
  }
}
