/** Inline CSS: system fonts only (no downloads), one column on a phone, wider layout on a desk. */
export const STYLES = `
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1280px; margin: 0 auto; padding: 12px; }
h1 { font-size: 1.35rem; margin: 0.2em 0; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; margin: 1.4em 0 0.5em; }
h3 { font-size: 0.95rem; margin: 0 0 0.4em; color: var(--muted); }
.sub { color: var(--muted); margin: 0 0 1em; overflow-wrap: anywhere; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; padding: 0; margin: 0 0 6px; list-style: none; }
.toggle { font: inherit; color: inherit; background: none; border: 0; padding: 2px 0; cursor: pointer; }
.toggle[aria-pressed="false"] { opacity: 0.4; text-decoration: line-through; }
.off { display: none; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; border-radius: 2px; margin-right: 0.35em; vertical-align: -0.05em; }
figure { margin: 0; }
.chart-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
#chart { display: block; width: 100%; min-width: 560px; height: auto; font-size: 13px; outline: none; }
#chart:focus-visible { box-shadow: inset 0 0 0 2px #0969da; }
.grid { stroke: #eaeef2; stroke-width: 1; }
.tick { fill: var(--muted); font-size: 12px; }
.seg { opacity: 0.16; }
#threshold { stroke: #cf222e; stroke-width: 1.5; stroke-dasharray: 6 4; }
.threshold text { fill: #cf222e; font-size: 12px; }
.hit { fill: transparent; cursor: crosshair; }
.line { fill: none; stroke-width: 1.6; stroke-linejoin: round; pointer-events: none; }
.pt { stroke: #fff; stroke-width: 1; cursor: pointer; }
.pt.selected { r: 6; stroke: var(--ink); stroke-width: 1.5; }
.fail { stroke: #cf222e; stroke-width: 2; cursor: pointer; }
.fail.selected { stroke-width: 3.5; }
.cursor { stroke: var(--ink); stroke-width: 1; stroke-dasharray: 2 3; pointer-events: none; }
.thumb { cursor: pointer; }
.scrub { display: flex; align-items: center; gap: 8px; margin: 8px 0; }
.scrub input { flex: 1; }
.details { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px; min-height: 120px; }
.details img { width: 144px; height: auto; border-radius: 4px; image-rendering: auto; }
.details > div { flex: 1 1 260px; }
.details p { margin: 0 0 6px; }
#detail-scores { width: 100%; max-width: 480px; }
#detail-scores td:nth-child(2) { font-variant-numeric: tabular-nums; width: 5em; }
#detail-scores td:last-child { width: 55%; }
#detail-scores tr.over th { font-weight: 700; }
.bar { display: block; height: 0.7em; border-radius: 2px; min-width: 1px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 0.4em 0 1em; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { text-align: left; padding: 4px 10px 4px 0; border-bottom: 1px solid var(--line); white-space: nowrap; }
#summary td, #segments td { font-variant-numeric: tabular-nums; }
.facts-grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 12px; align-items: start; }
.facts { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 10px; min-width: 0; }
.facts dl { margin: 0; }
.facts dl > div { display: grid; grid-template-columns: 7.5em 1fr; gap: 0 12px; padding: 1px 0; break-inside: avoid; }
.facts.group { grid-column: 1 / -1; }
.facts.group dl { columns: 3 22em; column-gap: 24px; }
.facts.group dl > div { grid-template-columns: 13em 1fr; }
.facts dt { color: var(--muted); }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.note { color: var(--muted); }
footer { color: var(--muted); font-size: 0.85rem; margin: 2em 0 1em; }
@media (max-width: 600px) { body { font-size: 14px; } main { padding: 8px; } .details img { width: 112px; } .facts.group dl > div { grid-template-columns: 10em 1fr; } }
`;
