import type { HookContext, TestHooks } from "hardhat/types/hooks"

import { pevmEnabled, saveRecordParts } from "../nodes.js"
import { clearRunParts, mergeRunParts, runFilePath } from "../runFiles.js"
import { formatSummary, namedHottestSlots, runTotals } from "../summary.js"

/** Solidity tests run on EDR's own runner; only JavaScript runners (mocha) use our node. */
const covered = (context: HookContext, id: string) => id !== "solidity" && pevmEnabled(context)

export default async (): Promise<Partial<TestHooks>> => ({
  onTestRunStart: async (context, id, next) => {
    await next(context, id)
    if (covered(context, id)) await clearRunParts(context.config.pevm.outputDir)
  },

  onTestWorkerDone: async (context, id, next) => {
    await next(context, id)
    if (covered(context, id)) await saveRecordParts(context.config.pevm.outputDir)
  },

  onTestRunDone: async (context, id, next) => {
    await next(context, id)
    if (!covered(context, id)) return
    const outputDir = context.config.pevm.outputDir
    await saveRecordParts(outputDir)
    const record = await mergeRunParts(outputDir)
    console.log()
    console.log(formatSummary(runTotals(record), await namedHottestSlots(record, context.config.paths.artifacts, 5), runFilePath(outputDir)))
  },
})
