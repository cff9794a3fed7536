/**
 * `npx hardhat pevm-report`: reads the last `--parallel-evm` run's record (or
 * runs the tests to make one), analyses it against the project's artifacts,
 * prints the per-contract report, writes the JSON, Markdown and HTML files
 * asked for, appends the Markdown to GitHub's job summary, and runs the CI
 * checks (thresholds, baseline). A failed check sets the exit code to 1.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { mkdir, readFile, stat, writeFile } from "node:fs/promises"
import { dirname, relative, resolve } from "node:path"
import { styleText } from "node:util"

import { HardhatPluginError } from "hardhat/plugins"
import type { HardhatRuntimeEnvironment } from "hardhat/types/hre"

import { ArtifactsError, analyzeRun, loadArtifacts, type AnalysisReport, type LoadedArtifacts } from "../../analysis/index.js"
import { shutdownExecutors } from "../../engine/index.js"
import type { RunRecord } from "../../network/index.js"
import {
  BaselineError,
  appendStepSummary,
  checkThresholds,
  checksPassed,
  compareToBaseline,
  formatRegressions,
  formatViolations,
  parseBaseline,
  renderHtml,
  renderJson,
  renderMarkdown,
  renderTerminal,
  shouldUseColor,
  unmatchedThresholds,
  writeBaseline,
  type Baseline,
  type CheckResults,
} from "../../report/index.js"
import { PLUGIN_ID } from "../config.js"
import { readRunRecord, runFilePath } from "../runFiles.js"

export interface PevmReportArguments {
  run: boolean
  check: boolean
  baseline: string | undefined
  updateBaseline: boolean
  json: string | undefined
  markdown: string | undefined
  html: string | undefined
  noReplay: boolean
}

const DEFAULT_BASELINE = "pevm-baseline.json"

export default async function pevmReport(args: PevmReportArguments, hre: HardhatRuntimeEnvironment): Promise<void> {
  const { config } = hre
  const root = config.paths.root
  const outputDir = config.pevm.outputDir
  const shown = (path: string) => relative(process.cwd(), path) || path

  const baseline = await readInputs(args, hre)
  let record = args.run ? undefined : await readRecord(outputDir)
  if (record === undefined) {
    console.error(
      args.run
        ? "Running the tests on the parallel EVM (--run)..."
        : `No run record at ${shown(runFilePath(outputDir))}: running the tests on the parallel EVM first...`,
    )
    const code = await runTestsOnParallelEvm(hre)
    record = await readRecord(outputDir)
    if (code !== 0) console.error(styleText("yellow", `The tests exited with code ${code}; reporting on what they recorded.`))
    if (record === undefined) {
      throw new HardhatPluginError(
        PLUGIN_ID,
        `The test run recorded nothing at ${shown(
          runFilePath(outputDir),
        )}. Check that the tests use an edr-simulated network and that config.pevm.record is not false.`,
      )
    }
  } else {
    const age = Date.now() - (await stat(runFilePath(outputDir))).mtimeMs
    console.error(`Reading the run record ${shown(runFilePath(outputDir))} (${describeAge(age)}; --run records a new one).`)
  }

  let loaded: LoadedArtifacts
  try {
    loaded = loadArtifacts(config.paths.artifacts)
  } catch (error) {
    if (error instanceof ArtifactsError)
      throw new HardhatPluginError(PLUGIN_ID, `${error.message}\nRun \`npx hardhat build\`, or \`npx hardhat pevm-report --run\`.`)
    throw error
  }

  let report: AnalysisReport
  try {
    report = await analyzeRun(record, loaded.contracts, {
      replay: args.noReplay ? false : { workers: config.pevm.workers },
      onProgress: progressLine(),
    })
  } finally {
    await shutdownExecutors()
  }

  const checks = runChecks(args, hre, report, baseline)
  const color = shouldUseColor(process.stdout)
  for (const warning of loaded.warnings) console.error(styleText("yellow", `Warning: ${warning}`))
  console.log(renderTerminal(report, { color, checks }))

  const written: string[] = []
  const save = async (file: string | undefined, text: () => string) => {
    if (file === undefined) return
    const path = resolve(process.cwd(), file)
    await mkdir(dirname(path), { recursive: true })
    await writeFile(path, text())
    written.push(shown(path))
  }
  await save(args.json, () => renderJson(report, checks))
  const markdown = () => renderMarkdown(report, { checks })
  await save(args.markdown, markdown)
  await save(args.html, () => renderHtml(report, { checks }))
  if (await appendStepSummary(markdown())) written.push("$GITHUB_STEP_SUMMARY")

  if (args.updateBaseline) {
    const path = resolve(root, args.baseline ?? DEFAULT_BASELINE)
    await writeFile(path, writeBaseline(report))
    written.push(`${shown(path)} (baseline)`)
  }
  if (written.length > 0) console.log(`\nWrote ${written.join(", ")}`)

  if (!checksPassed(checks)) process.exitCode = 1
}

async function readRecord(outputDir: string): Promise<RunRecord | undefined> {
  try {
    return await readRunRecord(outputDir)
  } catch (error) {
    throw new HardhatPluginError(
      PLUGIN_ID,
      `Cannot read the run record ${runFilePath(outputDir)}: ${(error as Error).message}\nRecord a new one with \`npx hardhat pevm-report --run\`.`,
    )
  }
}

/** Fails before any work on a `--check` without thresholds or a `--baseline` that cannot be read. */
async function readInputs(args: PevmReportArguments, hre: HardhatRuntimeEnvironment): Promise<Baseline | undefined> {
  if (args.check && Object.keys(hre.config.pevm.thresholds).length === 0) {
    throw new HardhatPluginError(PLUGIN_ID, "--check found no thresholds: set config.pevm.thresholds (see templates/hardhat.config.snippet.ts).")
  }
  if (args.baseline === undefined || args.updateBaseline) return undefined
  const path = resolve(hre.config.paths.root, args.baseline)
  if (!existsSync(path)) {
    throw new HardhatPluginError(
      PLUGIN_ID,
      `The baseline ${args.baseline} does not exist. Write it with \`npx hardhat pevm-report --baseline ${args.baseline} --update-baseline\`.`,
    )
  }
  try {
    return parseBaseline(await readFile(path, "utf8"), args.baseline)
  } catch (error) {
    if (error instanceof BaselineError) throw new HardhatPluginError(PLUGIN_ID, error.message)
    throw error
  }
}

/** Thresholds with `--check`, the baseline with `--baseline` (unless it is being rewritten). */
function runChecks(args: PevmReportArguments, hre: HardhatRuntimeEnvironment, report: AnalysisReport, baseline: Baseline | undefined): CheckResults {
  const { pevm } = hre.config
  return {
    ...(args.check
      ? {
          thresholds: {
            violations: checkThresholds(report, pevm.thresholds),
            unmatched: unmatchedThresholds(report, pevm.thresholds),
          },
        }
      : {}),
    ...(baseline !== undefined
      ? {
          baseline: {
            ...(args.baseline !== undefined ? { file: args.baseline } : {}),
            tolerance: pevm.baselineTolerance,
            regressions: compareToBaseline(report, baseline, pevm.baselineTolerance),
          },
        }
      : {}),
  }
}

/** `hardhat test --parallel-evm` in a child process, in the project root, with the same config file. */
function runTestsOnParallelEvm(hre: HardhatRuntimeEnvironment): Promise<number> {
  const cli = process.argv[1]
  if (cli === undefined) throw new HardhatPluginError(PLUGIN_ID, "Cannot find the Hardhat CLI to run the tests: run `npx hardhat test --parallel-evm` first.")
  const args = [cli, ...(hre.config.paths.config !== undefined ? ["--config", hre.config.paths.config] : []), "test", "--parallel-evm"]
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: hre.config.paths.root,
      stdio: "inherit",
    })
    child.on("error", reject)
    child.on("exit", (code, signal) => resolvePromise(code ?? (signal !== null ? 1 : 0)))
  })
}

/** Progress on stderr: one rewritten line on a terminal, a line per step otherwise. */
function progressLine(): (done: number, total: number, label: string) => void {
  const tty = process.stderr.isTTY
  let last = ""
  return (done, total, label) => {
    const line = `pevm-report: [${done}/${total}] ${label}`
    if (line === last) return
    last = line
    if (tty) process.stderr.write(`\r\x1b[2K${line}${done >= total ? "\n" : ""}`)
    else process.stderr.write(`${line}\n`)
  }
}

function describeAge(ms: number): string {
  const minutes = Math.round(ms / 60_000)
  if (minutes < 1) return "recorded just now"
  if (minutes < 120) return `recorded ${minutes} min ago`
  const hours = Math.round(minutes / 60)
  return hours < 48 ? `recorded ${hours} h ago` : `recorded ${Math.round(hours / 24)} days ago`
}
