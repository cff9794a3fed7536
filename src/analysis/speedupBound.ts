/**
 * The most a parallel executor could gain on a block of the contract's
 * transactions: total gas over the gas of the heaviest chain in the
 * read-after-write dependency graph (each transaction waits for the ones
 * whose writes it reads). 1 means fully serial; the number of transactions
 * means fully independent transactions of equal gas. Gas stands in for time.
 */
import type { SpeedupBound } from "./types.js"

export function speedupBound(gas: readonly number[], dependencies: readonly (readonly number[])[]): SpeedupBound {
  const path = new Array<number>(gas.length).fill(0)
  const chain = new Array<number>(gas.length).fill(0)
  let totalGas = 0
  let criticalPathGas = 0
  let longestChain = 0
  for (let j = 0; j < gas.length; j++) {
    let before = 0
    let links = 0
    for (const i of dependencies[j] ?? []) {
      before = Math.max(before, path[i] as number)
      links = Math.max(links, chain[i] as number)
    }
    const own = gas[j] as number
    path[j] = before + own
    chain[j] = links + 1
    totalGas += own
    criticalPathGas = Math.max(criticalPathGas, path[j] as number)
    longestChain = Math.max(longestChain, chain[j] as number)
  }
  return {
    transactions: gas.length,
    totalGas,
    criticalPathGas,
    bound: criticalPathGas === 0 ? 1 : totalGas / criticalPathGas,
    longestChain,
  }
}
