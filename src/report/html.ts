/**
 * The HTML report (`pevm-report --html FILE`): one self-contained page, with
 * inline CSS, a few lines of inline JS and inline SVG, and a Content Security
 * Policy that forbids loading anything, so it opens offline from a CI
 * artifact. Per contract: its figures, a slot-contention heatmap (hot slots
 * by functions, coloured by write share or by conflicts, switched with two
 * buttons) and a conflict graph (`svg.ts`), then its tables (functions, hot
 * slots, slots not counted, conflicting pairs) and suggestions. Check
 * results come first when checks ran. All text is escaped.
 */
import type { AnalysisReport, ContractReport } from "../analysis/types.js"
import { duration, integer, percent, plural, shortList, speedup } from "./format.js"
import { contractConflictRate, functionConflictRate, functionSpeedupEstimate, isStructuralHotSlot, shortFunctionLabel, structuralHotSlots } from "./metrics.js"
import { checksPassed, type CheckResults } from "./results.js"
import { escapeHtml as esc, graphSvg, heatmapSvg } from "./svg.js"

export interface HtmlOptions {
  readonly checks?: CheckResults
  /** The page title (default "Parallel EVM report"). */
  readonly title?: string
}

const CSS = `
:root{--fg:#1d2126;--muted:#5f6b76;--line:#dde1e5;--bg:#fff;--soft:#f6f7f9;--bad:#c0392b;--good:#2b8a3e;--warn:#b7791f;--accent:#1c5fb8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:20px;margin:0 0 4px}h3{font-size:15px;margin:22px 0 8px}
.muted,small{color:var(--muted)}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
nav{margin:12px 0 20px}nav a{margin-right:14px;color:var(--accent);text-decoration:none;font-weight:600}
table{border-collapse:collapse;margin:6px 0 10px;width:100%}
th,td{border-bottom:1px solid var(--line);padding:5px 8px;text-align:left;vertical-align:top}
th{background:var(--soft);font-weight:600;white-space:nowrap}
td .mono{word-break:break-all}
td.n,th.n{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
section.contract{border:1px solid var(--line);border-radius:8px;padding:18px 20px;margin:22px 0}
.facts{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.fact{background:var(--soft);border-radius:6px;padding:8px 12px;min-width:130px}
.fact b{display:block;font-size:18px}
.fact span{color:var(--muted);font-size:12px}
.figures{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
figure{margin:0;max-width:100%;overflow-x:auto}
figcaption{font-weight:600;margin-bottom:6px}
.toggle button{font:inherit;font-size:12px;border:1px solid var(--line);background:var(--bg);padding:3px 10px;cursor:pointer}
.toggle button:first-child{border-radius:5px 0 0 5px}.toggle button:last-child{border-radius:0 5px 5px 0;margin-left:-1px}
.toggle button[aria-pressed=true]{background:var(--accent);color:#fff;border-color:var(--accent)}
svg text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:11px;fill:var(--fg)}
svg.heatmap text.row{text-anchor:end}svg.heatmap text.row.structural{fill:var(--bad);font-weight:600}
svg.heatmap text.v{text-anchor:middle;font-size:10px}svg.heatmap text.v.light{fill:#fff}
svg.heatmap[data-mode=share] .layer.conflicts,svg.heatmap[data-mode=conflicts] .layer.share{display:none}
svg.graph circle{fill:#e7f0fb;stroke:var(--accent);stroke-width:1.5}
svg.graph text.rate{font-size:10px;fill:var(--muted);text-anchor:middle;paint-order:stroke;stroke:var(--bg);stroke-width:3px}
svg.graph .edge:hover path{stroke:#000}
.kind-structural{color:var(--bad);font-weight:600}
.checks{border-radius:8px;padding:12px 16px;margin:16px 0}
.checks.passed{background:#ebfbee;border:1px solid #b2f2bb}.checks.failed{background:#fff5f5;border:1px solid #ffc9c9}
.checks li{margin:4px 0}
ul.suggestions li{margin:8px 0}
.fix{color:var(--good)}
.warning{color:var(--warn)}
.empty{color:var(--muted);font-style:italic}
@media (prefers-color-scheme:dark){:root{--fg:#e6e8ea;--muted:#9aa5b1;--line:#343a40;--bg:#16181b;--soft:#212529;--accent:#5c9ded}
svg.graph circle{fill:#1f2d3d}.checks.passed{background:#13261a;border-color:#2b8a3e}.checks.failed{background:#2c1515;border-color:#c0392b}}
`

const SCRIPT = `
document.querySelectorAll(".toggle").forEach(function (group) {
  var svg = document.getElementById(group.getAttribute("data-for"));
  group.querySelectorAll("button").forEach(function (button) {
    button.addEventListener("click", function () {
      if (svg) svg.setAttribute("data-mode", button.getAttribute("data-mode"));
      group.querySelectorAll("button").forEach(function (b) { b.setAttribute("aria-pressed", String(b === button)); });
    });
  });
});
`

function fact(value: string, label: string, title?: string): string {
  return `<div class="fact"${title !== undefined ? ` title="${esc(title)}"` : ""}><b>${esc(value)}</b><span>${esc(label)}</span></div>`
}

function code(text: string): string {
  return `<code>${esc(text)}</code>`
}

function fn(contract: ContractReport, signature: string): string {
  return `<code title="${esc(signature)}">${esc(shortFunctionLabel(contract, signature))}</code>`
}

function checksHtml(checks: CheckResults | undefined): string {
  if (checks === undefined || (checks.thresholds === undefined && checks.baseline === undefined)) return ""
  const passed = checksPassed(checks)
  const items: string[] = []
  if (checks.thresholds !== undefined) {
    const v = checks.thresholds.violations
    items.push(`<li>${v.length === 0 ? "✔ Every threshold is met." : `✖ ${esc(v.length === 1 ? "1 threshold is" : `${v.length} thresholds are`)} not met:`}</li>`)
    if (v.length > 0) items.push(`<ul>${v.map((x) => `<li>${esc(x.message)}</li>`).join("")}</ul>`)
    for (const u of checks.thresholds.unmatched ?? []) items.push(`<li class="warning">⚠ ${esc(u)}</li>`)
  }
  if (checks.baseline !== undefined) {
    const r = checks.baseline.regressions
    const file = checks.baseline.file !== undefined ? ` ${code(checks.baseline.file)}` : ""
    items.push(
      `<li>${r.length === 0 ? "✔ No regression against the baseline" : `✖ ${esc(r.length === 1 ? "1 regression" : `${r.length} regressions`)} against the baseline`}${file} (tolerance ${esc(percent(checks.baseline.tolerance))})${r.length > 0 ? ":" : "."}</li>`,
    )
    if (r.length > 0) items.push(`<ul>${r.map((x) => `<li>${esc(x.message)}</li>`).join("")}</ul>`)
  }
  return `<section class="checks ${passed ? "passed" : "failed"}"><h2>Checks ${passed ? "passed" : "failed"}</h2><ul>${items.join("")}</ul></section>`
}

function replayFact(contract: ContractReport): string {
  const r = contract.replay
  if (r === undefined) return fact("not run", "measured replay")
  if (r.fellBack) return fact("fell back", "measured replay", r.fallbackReason ?? "the parallel executor fell back to sequential")
  return fact(
    speedup(r.speedup),
    `measured replay, ${plural(r.workers, "worker")}, ${plural(r.reExecutions, "re-execution")}`,
    `${integer(r.transactions)} transactions: ${duration(r.sequentialMs)} sequential, ${duration(r.parallelMs)} parallel; ${integer(r.validationAborts)} validation aborts, ${integer(r.dependencyWaits)} dependency waits${r.divergent > 0 ? `; ${integer(r.divergent)} diverged from the record` : ""}`,
  )
}

function contractHtml(contract: ContractReport, index: number): string {
  const id = `c${index}`
  const b = contract.speedupBound
  const rate = contractConflictRate(contract)
  const parts: string[] = []
  parts.push(
    `<section class="contract" id="${id}"><h2 class="contract-name">${esc(contract.name)}</h2>` +
      `<div class="muted">${esc(contract.fullyQualifiedName)}${contract.addresses.length > 0 ? ` · ${contract.addresses.map(code).join(", ")}` : ""}</div>`,
  )
  parts.push(
    `<div class="facts">` +
      fact(integer(contract.transactions), `transactions (${integer(contract.deployments)} deployment${contract.deployments === 1 ? "" : "s"})`) +
      fact(integer(contract.gasUsed), "gas") +
      fact(speedup(b.bound), "speedup bound", `total gas ${integer(b.totalGas)} / critical path ${integer(b.criticalPathGas)} gas; longest chain ${integer(b.longestChain)} transactions${b.transactions < contract.transactions - contract.deployments ? `; one chain of blocks: ${integer(b.transactions)} of ${integer(contract.transactions - contract.deployments)} calls` : ""}`) +
      replayFact(contract) +
      fact(percent(rate.rate), "conflict rate", rate.pair !== undefined ? `worst pair: ${rate.pair.from} then ${rate.pair.to}` : "no read-after-write pair") +
      fact(integer(structuralHotSlots(contract).length), "structural hot slots") +
      `</div>`,
  )
  parts.push(
    `<div class="figures"><figure><figcaption>Slot contention</figcaption>` +
      (contract.hotSlots.length > 0
        ? `<div class="toggle" data-for="${id}-heatmap" role="group" aria-label="Colour cells by"><button type="button" data-mode="share" aria-pressed="true">Write share</button><button type="button" data-mode="conflicts" aria-pressed="false">Conflicts</button></div>`
        : "") +
      heatmapSvg(contract, `${id}-heatmap`) +
      `</figure><figure><figcaption>Conflict graph <small>(earlier → later, thicker = higher read-after-write rate, dashed = write-after-write only)</small></figcaption>${graphSvg(contract, `${id}-graph`)}</figure></div>`,
  )

  parts.push(
    `<h3>Functions</h3><table><thead><tr><th>Function</th><th class="n">Transactions</th><th class="n">Reverted</th><th class="n">Mean gas</th><th class="n">Conflict rate</th><th class="n">Speedup estimate</th></tr></thead><tbody>` +
      contract.functions
        .map(
          (f) =>
            `<tr><td>${code(f.signature)}</td><td class="n">${esc(integer(f.transactions))}</td><td class="n">${esc(integer(f.reverted))}</td><td class="n">${esc(integer(f.meanGas))}</td>` +
            `<td class="n">${esc(percent(functionConflictRate(contract, f.signature).rate))}</td><td class="n">${esc(speedup(functionSpeedupEstimate(contract, f)))}</td></tr>`,
        )
        .join("") +
      `</tbody></table>`,
  )

  if (contract.hotSlots.length > 0) {
    parts.push(
      `<h3>Hot slots</h3><table><thead><tr><th>Slot</th><th>Kind</th><th class="n">Writes</th><th class="n">Readers</th><th class="n">Conflicts (RAW)</th><th class="n">Conflicts (WAW)</th><th>Written by</th></tr></thead><tbody>` +
        contract.hotSlots
          .map(
            (s) =>
              `<tr><td>${code(s.name)}${s.note !== undefined ? `<div class="muted">${esc(s.note)}</div>` : ""}<div class="muted mono">${esc(s.slot)}${s.type !== undefined ? ` · ${esc(s.type)}` : ""}</div></td>` +
              `<td><span class="${isStructuralHotSlot(s) ? "kind-structural" : ""}" title="${esc(s.kindReason)}">${esc(s.kind)}</span></td>` +
              `<td class="n">${esc(percent(s.writeShare))} (${esc(integer(s.writers))})</td><td class="n">${esc(integer(s.readers))}</td><td class="n">${esc(integer(s.conflicts))}</td><td class="n">${esc(integer(s.writeConflicts))}</td>` +
              `<td>${s.functions.map((f) => fn(contract, f)).join(", ")}</td></tr>`,
          )
          .join("") +
        `</tbody></table>`,
    )
  } else {
    parts.push(`<h3>Hot slots</h3><p class="empty">No slot was written by two transactions or read after another wrote it.</p>`)
  }
  if (contract.ignoredSlots.length > 0) {
    parts.push(`<h3>Not counted</h3><ul>${contract.ignoredSlots.map((s) => `<li>${code(s.name)}: ${esc(s.explanation)}</li>`).join("")}</ul>`)
  }
  if (contract.conflicts.length > 0) {
    parts.push(
      `<h3>Conflicting function pairs</h3><table><thead><tr><th>Earlier</th><th>Later</th><th>Kind</th><th class="n">Rate</th><th class="n">Count</th><th class="n">Same block</th><th>Slots</th></tr></thead><tbody>` +
        contract.conflicts
          .map(
            (p) =>
              `<tr><td>${fn(contract, p.from)}</td><td>${fn(contract, p.to)}</td><td>${p.kind === "read-after-write" ? "read-after-write" : "write-after-write"}</td>` +
              `<td class="n">${esc(percent(p.rate))}</td><td class="n">${esc(integer(p.count))}</td><td class="n">${esc(integer(p.sameBlockCount))}</td><td>${p.slots.map(code).join(", ")}</td></tr>`,
          )
          .join("") +
        `</tbody></table>`,
    )
  } else {
    parts.push(`<h3>Conflicting function pairs</h3><p class="empty">None: no transaction read or overwrote what an earlier one wrote.</p>`)
  }
  if (contract.suggestions.length > 0) {
    parts.push(
      `<h3>Suggestions</h3><ul class="suggestions">` +
        contract.suggestions
          .map(
            (s) =>
              `<li><b>${code(s.slot)}</b> <span class="muted">(${esc(s.pattern)}${s.functions.length > 0 ? `; ${esc(shortList(s.functions.map((f) => shortFunctionLabel(contract, f))))}` : ""})</span><br>${esc(s.message)}<br><span class="fix">Fix: ${esc(s.fix)}</span></li>`,
          )
          .join("") +
        `</ul>`,
    )
  }
  parts.push(`</section>`)
  return parts.join("\n")
}

/** The report as one self-contained HTML page. */
export function renderHtml(report: AnalysisReport, options: HtmlOptions = {}): string {
  const title = options.title ?? "Parallel EVM report"
  const t = report.totals
  const body: string[] = []
  body.push(
    `<header><h1>${esc(title)}</h1><div class="muted">${esc(
      `${plural(t.transactions, "transaction")} in ${plural(t.blocks, "block")} (${integer(t.parallelBlocks)} run in parallel, ${plural(t.recordedReExecutions, "re-execution")}) · ${integer(t.gasUsed)} gas · test run of ${report.recordCreatedAt}, analysed ${report.createdAt}`,
    )}</div></header>`,
  )
  body.push(checksHtml(options.checks))
  if (report.contracts.length === 0) {
    body.push(`<p class="empty">No contract's code ran in the recorded transactions: nothing to analyse.</p>`)
  } else {
    body.push(`<nav>${report.contracts.map((c, i) => `<a href="#c${i}">${esc(c.name)}</a>`).join("")}</nav>`)
    body.push(
      `<table class="summary"><thead><tr><th>Contract</th><th class="n">Transactions</th><th class="n">Gas</th><th class="n">Speedup bound</th><th class="n">Measured replay</th><th class="n">Conflict rate</th><th class="n">Structural hot slots</th></tr></thead><tbody>` +
        report.contracts
          .map(
            (c, i) =>
              `<tr><td><a href="#c${i}">${esc(c.name)}</a></td><td class="n">${esc(integer(c.transactions))}</td><td class="n">${esc(integer(c.gasUsed))}</td><td class="n">${esc(speedup(c.speedupBound.bound))}</td>` +
              `<td class="n">${esc(c.replay === undefined ? "not run" : c.replay.fellBack ? "fell back" : speedup(c.replay.speedup))}</td><td class="n">${esc(percent(contractConflictRate(c).rate))}</td><td class="n">${esc(integer(structuralHotSlots(c).length))}</td></tr>`,
          )
          .join("") +
        `</tbody></table>`,
    )
    report.contracts.forEach((c, i) => body.push(contractHtml(c, i)))
  }
  const notes: string[] = []
  if (t.unattributedTransactions > 0) notes.push(`<li>${esc(plural(t.unattributedTransactions, "transaction"))} ran no known contract's code.</li>`)
  for (const u of report.unknownContracts) notes.push(`<li>Unknown code at ${code(u.address)}: ${esc(plural(u.transactions, "transaction"))}.</li>`)
  for (const w of report.warnings) notes.push(`<li class="warning">⚠ ${esc(w)}</li>`)
  if (notes.length > 0) body.push(`<footer><h3>Notes</h3><ul>${notes.join("")}</ul></footer>`)
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="hardhat-pevm">` +
    `<title>${esc(title)}</title><style>${CSS}</style></head>\n<body><main>\n${body.join("\n")}\n</main><script>${SCRIPT}</script></body></html>\n`
  )
}
