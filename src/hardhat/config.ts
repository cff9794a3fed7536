/**
 * The `pevm` section of hardhat.config: its zod schema, validation that throws
 * a HardhatPluginError naming each bad path and what was expected, and the
 * resolved form with defaults. Also turns on solc's `storageLayout` output, so
 * that the report can name storage slots.
 */
import { availableParallelism } from "node:os"
import { isAbsolute, join, resolve } from "node:path"

import { HardhatPluginError } from "hardhat/plugins"
import type { HardhatConfig } from "hardhat/types/config"
import { z } from "zod"

export const PLUGIN_ID = "hardhat-pevm"

const rate = z.number({ invalid_type_error: "expected a number between 0 and 1" }).min(0, "expected a number between 0 and 1").max(1, "expected a number between 0 and 1")
const speedup = z.number({ invalid_type_error: "expected a number of at least 1" }).min(1, "expected a number of at least 1")

const thresholdFields = {
  /** Largest share of ordered transaction pairs that may conflict (0..1). */
  maxConflictRate: rate.optional(),
  /** Smallest acceptable speedup bound (total gas / critical-path gas). */
  minSpeedup: speedup.optional(),
  /** Fail when a slot is hot whatever the inputs (a counter, a fixed accumulator). */
  forbidStructuralHotSlots: z.boolean({ invalid_type_error: "expected true or false" }).optional(),
}

const functionThresholds = z.object(thresholdFields).strict()
const contractThresholds = z
  .object({
    ...thresholdFields,
    /** Per function, by name (`mint`) or signature (`mint(address)`). */
    functions: z.record(functionThresholds).optional(),
  })
  .strict()

export const pevmUserConfigSchema = z
  .object({
    enabled: z.boolean({ invalid_type_error: "expected true or false" }).optional(),
    workers: z
      .number({ invalid_type_error: "expected a whole number of at least 1" })
      .int("expected a whole number of at least 1")
      .min(1, "expected a whole number of at least 1")
      .optional(),
    record: z.boolean({ invalid_type_error: "expected true or false" }).optional(),
    outputDir: z.string({ invalid_type_error: "expected a path" }).min(1, "expected a path").optional(),
    /** By contract name (`Token`), or `*` for every contract. */
    thresholds: z.record(contractThresholds).optional(),
    /** How much worse than the baseline a contract may get before `--baseline` fails (default 0.05). */
    baselineTolerance: rate.optional(),
  })
  .strict()

export type PevmThresholds = z.infer<typeof functionThresholds>
export type PevmContractThresholds = z.infer<typeof contractThresholds>
export type PevmUserConfig = z.infer<typeof pevmUserConfigSchema>

export interface PevmConfig {
  readonly enabled: boolean
  readonly workers: number
  readonly record: boolean
  /** Absolute: where runs are recorded and reports written (default `<cache>/pevm`). */
  readonly outputDir: string
  readonly thresholds: Readonly<Record<string, PevmContractThresholds>>
  readonly baselineTolerance: number
}

/** Throws a HardhatPluginError listing every invalid `pevm.*` path and what it expects. */
export function validatePevmUserConfig(config: unknown): void {
  if (config === undefined) return
  const result = pevmUserConfigSchema.safeParse(config)
  if (result.success) return
  const problems = result.error.issues.map((issue) => {
    const path = ["pevm", ...issue.path].join(".")
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown key${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : issue.code === "invalid_type" && issue.path.length === 0
          ? "expected an object"
          : issue.message
    return `  * config.${path}: ${message}`
  })
  throw new HardhatPluginError(PLUGIN_ID, `Invalid hardhat-pevm config:\n${problems.join("\n")}`)
}

export function resolvePevmConfig(user: PevmUserConfig | undefined, paths: { root: string; cache: string }): PevmConfig {
  const outputDir = user?.outputDir === undefined ? join(paths.cache, "pevm") : isAbsolute(user.outputDir) ? user.outputDir : resolve(paths.root, user.outputDir)
  return {
    enabled: user?.enabled ?? false,
    workers: user?.workers ?? Math.max(2, availableParallelism()),
    record: user?.record ?? true,
    outputDir,
    thresholds: user?.thresholds ?? {},
    baselineTolerance: user?.baselineTolerance ?? 0.05,
  }
}

type OutputSelection = Record<string, Record<string, string[]>>

/** Adds `storageLayout` to the output selection of every solc configuration, in every build profile. */
export function withStorageLayouts(solidity: HardhatConfig["solidity"]): HardhatConfig["solidity"] {
  const addLayout = <C extends { settings: Record<string, unknown> }>(compiler: C): C => {
    const selection = (compiler.settings.outputSelection ?? {}) as OutputSelection
    const all = selection["*"] ?? {}
    const contracts = all["*"] ?? []
    if (contracts.includes("storageLayout")) return compiler
    return {
      ...compiler,
      settings: { ...compiler.settings, outputSelection: { ...selection, "*": { ...all, "*": [...contracts, "storageLayout"] } } },
    }
  }
  const profiles = Object.fromEntries(
    Object.entries(solidity.profiles).map(([name, profile]) => [
      name,
      {
        ...profile,
        compilers: profile.compilers.map(addLayout),
        overrides: Object.fromEntries(Object.entries(profile.overrides).map(([source, compiler]) => [source, addLayout(compiler)])),
      },
    ]),
  )
  return { ...solidity, profiles }
}
