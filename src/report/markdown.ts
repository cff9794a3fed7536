/**
 * The Markdown report (`pevm-report --markdown FILE`), written for a pull
 * request comment and GitHub's job summary: check results first, a table of
 * contracts, then per contract its hot slots, its conflicting function pairs
 * (in a collapsed section) and its suggestions. Every piece of text from the
 * report is escaped, so that slot names, messages and warnings render as
 * text. The output is kept under GitHub's comment size (65,536 characters)
 * by showing fewer rows when needed. `appendStepSummary` adds it to
 * `$GITHUB_STEP_SUMMARY` when that is set.
 */
import { appendFile } from "node:fs/promises"

import type { AnalysisReport, ContractReport } from "../analysis/types.js"
import { integer, percent, plural, shortList, speedup } from "./format.js"
import { contractConflictRate, isStructuralHotSlot, shortFunctionLabel, structuralHotSlots } from "./metrics.js"
import { checksPassed, type CheckResults } from "./results.js"

export interface MarkdownOptions {
  readonly checks?: CheckResults
  /** Rows per table (default 10); fewer are shown when the text would exceed `maxLength`. */
  readonly maxRows?: number
  /** Longest output in characters (default 60,000, under GitHub's 65,536 for a comment). */
  readonly maxLength?: number
  /** The heading (default "Parallel EVM report"). */
  readonly title?: string
}

/** Text as Markdown that renders literally (no emphasis, links, HTML or table breaks). */
export function escapeMarkdown(text: string): string {
  return text.replace(/\r?\n/g, " ").replace(/[\\`*_[\]<>|~&#!]/g, (c) => `\\${c}`)
}

/** Text as an inline code span; `|` escaped, as a table cell needs. */
export function codeSpan(text: string): string {
  const flat = text.replace(/\r?\n/g, " ").replace(/\|/g, "\\|")
  const runs = flat.match(/`+/g) ?? []
  const fence = "`".repeat(Math.max(0, ...runs.map((r) => r.length)) + 1)
  const pad = flat.startsWith("`") || flat.endsWith("`") ? " " : ""
  return `${fence}${pad}${flat}${pad}${fence}`
}

/** Prose from the report: escaped, except that `backticked` parts become code spans. */
export function prose(text: string): string {
  return text
    .split(/(`[^`\n]+`)/)
    .map((part) => (part.length > 2 && part.startsWith("`") && part.endsWith("`") ? codeSpan(part.slice(1, -1)) : escapeMarkdown(part)))
    .join("")
}

function table(header: readonly string[], align: readonly ("l" | "r")[], rows: readonly (readonly string[])[]): string[] {
  return [`| ${header.join(" | ")} |`, `|${align.map((a) => (a === "r" ? "---:" : "---")).join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)]
}

function replayCell(contract: ContractReport): string {
  const r = contract.replay
  if (r === undefined) return "not run"
  if (r.fellBack) return "fell back"
  return `${speedup(r.speedup)} (${plural(r.reExecutions, "re-execution")})`
}

function fnLabel(contract: ContractReport, signature: string): string {
  return codeSpan(shortFunctionLabel(contract, signature))
}

function checksSection(checks: CheckResults | undefined): string[] {
  if (checks === undefined || (checks.thresholds === undefined && checks.baseline === undefined)) return []
  const lines: string[] = []
  const passed = checksPassed(checks)
  const parts: string[] = []
  if (checks.thresholds !== undefined) {
    const n = checks.thresholds.violations.length
    parts.push(n === 0 ? "✅ thresholds met" : `❌ ${n === 1 ? "1 threshold" : `${n} thresholds`} not met`)
  }
  if (checks.baseline !== undefined) {
    const n = checks.baseline.regressions.length
    const file = checks.baseline.file !== undefined ? ` (${codeSpan(checks.baseline.file)}, tolerance ${percent(checks.baseline.tolerance)})` : ` (tolerance ${percent(checks.baseline.tolerance)})`
    parts.push(n === 0 ? `✅ no regression against the baseline${file}` : `❌ ${n === 1 ? "1 regression" : `${n} regressions`} against the baseline${file}`)
  }
  lines.push(`**Checks ${passed ? "passed" : "failed"}:** ${parts.join(" · ")}`, "")
  for (const v of checks.thresholds?.violations ?? []) lines.push(`- ❌ ${prose(v.message)}`)
  for (const r of checks.baseline?.regressions ?? []) lines.push(`- 📉 ${prose(r.message)}`)
  for (const u of checks.thresholds?.unmatched ?? []) lines.push(`- ⚠️ ${prose(u)}`)
  if (lines.length > 2) lines.push("")
  return lines
}

function contractSection(contract: ContractReport, maxRows: number): string[] {
  const lines: string[] = [`### ${escapeMarkdown(contract.name)}`, ""]
  const b = contract.speedupBound
  const rate = contractConflictRate(contract)
  const facts = [
    contract.sourceName !== undefined ? codeSpan(contract.sourceName) : undefined,
    plural(contract.transactions, "transaction"),
    `${integer(contract.gasUsed)} gas`,
    `speedup bound **${speedup(b.bound)}** (critical path ${plural(b.longestChain, "transaction")}${b.transactions < contract.transactions - contract.deployments ? `; one chain of blocks: ${integer(b.transactions)} of ${integer(contract.transactions - contract.deployments)} calls` : ""})`,
    `measured replay ${replayCell(contract)}`,
    `conflict rate **${percent(rate.rate)}**${rate.pair !== undefined ? ` (${fnLabel(contract, rate.pair.from)} → ${fnLabel(contract, rate.pair.to)})` : ""}`,
  ].filter((f): f is string => f !== undefined)
  lines.push(facts.join(" · "), "")

  if (contract.hotSlots.length > 0) {
    const shown = contract.hotSlots.slice(0, maxRows)
    lines.push(
      ...table(
        ["Hot slot", "Kind", "Writes", "Conflicts (RAW)", "Conflicts (WAW)", "Written by"],
        ["l", "l", "r", "r", "r", "l"],
        shown.map((s) => [
          codeSpan(s.name),
          isStructuralHotSlot(s) ? "**structural**" : s.kind,
          `${percent(s.writeShare)} (${integer(s.writers)})`,
          integer(s.conflicts),
          integer(s.writeConflicts),
          s.functions.map((f) => fnLabel(contract, f)).join(", "),
        ]),
      ),
    )
    if (contract.hotSlots.length > shown.length) lines.push("", `_…and ${plural(contract.hotSlots.length - shown.length, "more hot slot")}._`)
    lines.push("")
  } else {
    lines.push("No hot slots.", "")
  }
  for (const ignored of contract.ignoredSlots) lines.push(`> Not counted: ${prose(ignored.explanation)}`, "")

  if (contract.conflicts.length > 0) {
    const shown = contract.conflicts.slice(0, maxRows)
    lines.push(`<details><summary>Conflicting function pairs (${integer(contract.conflicts.length)})</summary>`, "")
    lines.push(
      ...table(
        ["Earlier", "Later", "Kind", "Rate", "Count", "Same block", "Slots"],
        ["l", "l", "l", "r", "r", "r", "l"],
        shown.map((p) => [
          fnLabel(contract, p.from),
          fnLabel(contract, p.to),
          p.kind === "read-after-write" ? "RAW" : "WAW",
          percent(p.rate),
          integer(p.count),
          integer(p.sameBlockCount),
          p.slots.slice(0, 3).map(codeSpan).join(", ") + (p.slots.length > 3 ? ` and ${p.slots.length - 3} more` : ""),
        ]),
      ),
    )
    if (contract.conflicts.length > shown.length) lines.push("", `_…and ${plural(contract.conflicts.length - shown.length, "more pair")}._`)
    lines.push("", "RAW: the later transaction read what the earlier wrote (Block-STM re-executes it). WAW: it only overwrote it.", "", "</details>", "")
  } else {
    lines.push("No conflicting function pairs.", "")
  }

  if (contract.suggestions.length > 0) {
    lines.push("**Suggestions**", "")
    for (const s of contract.suggestions) {
      const fns = s.functions.length > 0 ? ` in ${shortList(s.functions.map((f) => fnLabel(contract, f)))}` : ""
      lines.push(`- ${codeSpan(s.slot)}${fns}: ${prose(s.message)} **Fix:** ${prose(s.fix)}`)
    }
    lines.push("")
  }
  return lines
}

function render(report: AnalysisReport, options: MarkdownOptions, maxRows: number): string {
  const t = report.totals
  const lines: string[] = [`## ${escapeMarkdown(options.title ?? "Parallel EVM report")}`, ""]
  lines.push(
    `${plural(t.transactions, "transaction")} in ${plural(t.blocks, "block")} (${integer(t.parallelBlocks)} run in parallel, ${plural(t.recordedReExecutions, "re-execution")}) · ${integer(t.gasUsed)} gas · ${plural(report.contracts.length, "contract")}`,
    "",
  )
  lines.push(...checksSection(options.checks))
  if (report.contracts.length === 0) {
    lines.push("No contract's code ran in the recorded transactions: nothing to analyse.", "")
  } else {
    lines.push(
      ...table(
        ["Contract", "Transactions", "Gas", "Speedup bound", "Measured replay", "Conflict rate", "Structural hot slots"],
        ["l", "r", "r", "r", "r", "r", "r"],
        report.contracts.map((c) => [
          escapeMarkdown(c.name),
          integer(c.transactions),
          integer(c.gasUsed),
          speedup(c.speedupBound.bound),
          replayCell(c),
          percent(contractConflictRate(c).rate),
          integer(structuralHotSlots(c).length),
        ]),
      ),
      "",
    )
    for (const contract of report.contracts) lines.push(...contractSection(contract, maxRows))
  }
  const notes: string[] = []
  for (const u of report.unknownContracts) notes.push(`- Unknown code at ${codeSpan(u.address)}: ${plural(u.transactions, "transaction")}`)
  for (const w of report.warnings) notes.push(`- ⚠️ ${prose(w)}`)
  if (notes.length > 0) lines.push("**Notes**", "", ...notes, "")
  return lines.join("\n")
}

/** The report as Markdown (ends with a newline). */
export function renderMarkdown(report: AnalysisReport, options: MarkdownOptions = {}): string {
  const maxLength = options.maxLength ?? 60_000
  let rows = options.maxRows ?? 10
  let text = render(report, options, rows)
  while (text.length > maxLength && rows > 1) {
    rows = Math.max(1, Math.floor(rows / 2))
    text = render(report, options, rows)
  }
  if (text.length > maxLength) {
    const cut = text.lastIndexOf("\n", maxLength - 200)
    text = `${text.slice(0, cut > 0 ? cut : maxLength - 200)}\n\n_The report was cut here to fit; see the JSON or HTML report for the rest._\n`
  }
  return text
}

/**
 * Appends the Markdown to the file named by `GITHUB_STEP_SUMMARY` (GitHub
 * Actions' job summary), followed by a blank line. Resolves to false, doing
 * nothing, when that variable is unset or empty.
 */
export async function appendStepSummary(markdown: string, env: Readonly<Record<string, string | undefined>> = process.env): Promise<boolean> {
  const file = env["GITHUB_STEP_SUMMARY"]
  if (file === undefined || file === "") return false
  await appendFile(file, markdown.endsWith("\n") ? `${markdown}\n` : `${markdown}\n\n`, "utf8")
  return true
}
