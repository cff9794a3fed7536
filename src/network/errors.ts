/**
 * JSON-RPC errors. Every failure the node reports is one of these, carrying
 * the code a client expects (-32601 unknown method, -32602 bad params,
 * -32000 invalid input, -32603 internal, 3 for an execution revert) and, for
 * reverts, the revert data in `data` where chai-matchers look for it.
 */
import type { Hex } from "../engine/types.js"

export class JsonRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message)
    this.name = "JsonRpcError"
  }
}

export class MethodNotFoundError extends JsonRpcError {
  constructor(method: string) {
    super(-32601, `Method ${method} is not supported`)
    this.name = "MethodNotFoundError"
  }
}

export class InvalidParamsError extends JsonRpcError {
  constructor(message: string) {
    super(-32602, message)
    this.name = "InvalidParamsError"
  }
}

/** A request that is well-formed but cannot be honoured (nonce too low, unknown account...). */
export class InvalidInputError extends JsonRpcError {
  constructor(message: string, data?: unknown) {
    super(-32000, message, data)
    this.name = "InvalidInputError"
  }
}

export class InternalError extends JsonRpcError {
  constructor(message: string) {
    super(-32603, message)
    this.name = "InternalError"
  }
}

/**
 * A transaction or call that reverted. Like Hardhat's SolidityError, `data`
 * is the revert data itself and `transactionHash` is set for a mined
 * transaction (null for a call).
 */
export class ExecutionError extends JsonRpcError {
  readonly transactionHash: Hex | null

  constructor(message: string, returnData: Hex, transactionHash?: Hex) {
    super(3, message, returnData)
    this.name = "ExecutionError"
    this.transactionHash = transactionHash ?? null
  }
}
