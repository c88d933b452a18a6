/**
 * The chart of docs/benchmarks.svg, written by hand (no dependency): four panels of bars.
 */
import type { OverheadResult } from "./overhead.js";
import type { PeerResult } from "./peers.js";
import type { ScaleResult } from "./scale.js";

const WIDTH = 960;
const COLORS = ["#1b7f3b", "#c0392b", "#e67e22", "#8e44ad", "#2c7fb8", "#7f8c8d", "#d4ac0d", "#16a085"];
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, sans-serif"';

function esc(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function text(x: number, y: number, body: string, attrs = ""): string {
  const size = attrs.includes("font-size") ? "" : ' font-size="12"';
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${FONT}${size} ${attrs}>${esc(body)}</text>`;
}

interface Group {
  label: string;
  /** `note` is printed above the bar (a value, a mark). */
  bars: { value: number; color: string; note?: string }[];
}

/**
 * A panel of grouped vertical bars on a linear (or log1p) scale, with optional reference lines.
 * Returns the SVG elements and the panel's height.
 */
function barPanel(options: {
  top: number;
  title: string;
  groups: Group[];
  max: number;
  log?: boolean;
  ticks: number[];
  lines?: { value: number; label: string; color: string }[];
  format: (v: number) => string;
}): { svg: string; height: number } {
  const { top, groups, max, ticks } = options;
  const left = 70;
  // The right margin holds the reference lines' labels.
  const right = WIDTH - 74;
  const plotTop = top + 28;
  const plotHeight = 170;
  const scale = (v: number) => {
    const f = options.log ? Math.log1p(Math.max(0, v)) / Math.log1p(max) : Math.min(v, max) / max;
    return plotTop + plotHeight - Math.min(1, f) * plotHeight;
  };
  const out: string[] = [text(left, top + 16, options.title, 'font-weight="600" font-size="14"')];
  for (const t of ticks) {
    const y = scale(t);
    out.push(`<line x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(text(left - 8, y + 4, options.format(t), 'text-anchor="end" fill="#555"'));
  }
  for (const line of options.lines ?? []) {
    const y = scale(line.value);
    out.push(
      `<line x1="${left}" x2="${right}" y1="${y}" y2="${y}" stroke="${line.color}" stroke-dasharray="5 4"/>`,
    );
    out.push(text(right + 4, y + 4, line.label, `fill="${line.color}" font-size="11"`));
  }
  const groupWidth = (right - left) / Math.max(1, groups.length);
  groups.forEach((group, g) => {
    const x0 = left + g * groupWidth + groupWidth * 0.08;
    const inner = groupWidth * 0.84;
    const barWidth = inner / Math.max(1, group.bars.length);
    group.bars.forEach((bar, b) => {
      const x = x0 + b * barWidth;
      const y = scale(bar.value);
      const h = plotTop + plotHeight - y;
      out.push(
        `<rect x="${(x + 1).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barWidth - 2).toFixed(1)}" height="${Math.max(0, h).toFixed(1)}" fill="${bar.color}"><title>${esc(`${group.label}: ${options.format(bar.value)}${bar.note ?? ""}`)}</title></rect>`,
      );
      if (bar.note) {
        const size = Math.max(8, Math.min(11, barWidth / 3));
        out.push(
          text(
            x + barWidth / 2,
            y - 3,
            bar.note,
            `text-anchor="middle" font-size="${size.toFixed(0)}" fill="#333"`,
          ),
        );
      }
    });
    out.push(
      text(
        left + g * groupWidth + groupWidth / 2,
        plotTop + plotHeight + 16,
        group.label,
        'text-anchor="middle"',
      ),
    );
  });
  out.push(
    `<line x1="${left}" x2="${right}" y1="${plotTop + plotHeight}" y2="${plotTop + plotHeight}" stroke="#333"/>`,
  );
  return { svg: out.join("\n"), height: plotHeight + 60 };
}

function legend(top: number, names: string[]): { svg: string; height: number } {
  const out: string[] = [];
  const perRow = 4;
  names.forEach((name, i) => {
    const x = 70 + (i % perRow) * 220;
    const y = top + Math.floor(i / perRow) * 18;
    out.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(text(x + 18, y + 10, name));
  });
  return { svg: out.join("\n"), height: Math.ceil(names.length / perRow) * 18 + 8 };
}

export function benchmarkChart(input: {
  title: string;
  peers: PeerResult[];
  capFactor: number;
  overhead: OverheadResult[];
  scale: ScaleResult[];
}): string {
  const parts: string[] = [];
  let y = 10;
  parts.push(text(70, y + 14, input.title, 'font-weight="700" font-size="16"'));
  y += 28;
  const clients = [...new Set(input.peers.map((p) => p.client))];
  const scenarios = [...new Set(input.peers.map((p) => p.scenario))];
  const color = (client: string) => COLORS[clients.indexOf(client) % COLORS.length]!;
  if (clients.length > 0) {
    const l = legend(y, clients);
    parts.push(l.svg);
    y += l.height;
    const ratio = barPanel({
      top: y,
      title: "Completion time / the server's minimum (lower is better; capped runs end at the cap)",
      groups: scenarios.map((s) => ({
        label: s,
        bars: input.peers
          .filter((p) => p.scenario === s)
          .map((p) => ({
            value: p.ratio,
            color: color(p.client),
            note: `${p.ratio.toFixed(2)}${p.unfinished > 0 || p.failed > 0 ? "✗" : ""}`,
          })),
      })),
      max: input.capFactor,
      ticks: [0, 0.5, 1, 1.5, 2, 2.5, 3].filter((t) => t <= input.capFactor),
      lines: [{ value: 1.1, label: "goal 1.1", color: "#1b7f3b" }],
      format: (v) => v.toFixed(1),
    });
    parts.push(ratio.svg);
    y += ratio.height;
    const maxRefused = Math.max(10, ...input.peers.map((p) => p.refused + p.violations));
    const refused = barPanel({
      top: y,
      title: "429s received + requests sent inside a Retry-After window (log scale; 0 is best)",
      groups: scenarios.map((s) => ({
        label: s,
        bars: input.peers
          .filter((p) => p.scenario === s)
          .map((p) => {
            const value = p.refused + p.violations;
            return { value, color: color(p.client), ...(value === 0 ? { note: "0" } : {}) };
          }),
      })),
      max: maxRefused,
      log: true,
      ticks: [0, 10, 100, 1000, 10000].filter((t) => t <= maxRefused),
      format: (v) => String(Math.round(v)),
    });
    parts.push(refused.svg);
    y += refused.height;
  }
  if (input.scale.length > 0) {
    const strategies = [...new Set(input.scale.map((s) => s.strategy))];
    const key = strategies.map((name, i) => {
      const x = 70 + i * 260;
      return `<rect x="${x}" y="${y + 6}" width="12" height="12" fill="${COLORS[4 + i]}"/>${text(x + 18, y + 16, name)}`;
    });
    parts.push(key.join("\n"));
    y += 20;
    const scale = barPanel({
      top: y,
      title: "Scale across keys: throughput / (K × one key's) (goal ≥ 0.95)",
      groups: [...new Set(input.scale.map((s) => s.keys))].map((k) => ({
        label: `${k} key${k === 1 ? "" : "s"}`,
        bars: input.scale
          .filter((s) => s.keys === k)
          .map((s) => ({
            value: s.scaling,
            color: COLORS[4 + strategies.indexOf(s.strategy)]!,
            note: s.scaling.toFixed(2),
          })),
      })),
      max: 1.2,
      ticks: [0, 0.25, 0.5, 0.75, 1],
      lines: [{ value: 0.95, label: "goal 0.95", color: "#1b7f3b" }],
      format: (v) => v.toFixed(2),
    });
    parts.push(scale.svg);
    y += scale.height;
  }
  const ratios = input.overhead.filter((o) => o.ratio !== undefined);
  if (ratios.length > 0) {
    const overhead = barPanel({
      top: y,
      title: "Overhead: requests per second / the bare transport's, interleaved rounds (goal ≥ 0.9)",
      groups: ratios.map((o) => ({
        label: o.variant.replace(", RateLimit headers", " (headers)"),
        bars: [
          {
            value: o.ratio!,
            color: o.variant.startsWith("pacekeeper") ? COLORS[0]! : COLORS[5]!,
            note: o.ratio!.toFixed(2),
          },
        ],
      })),
      max: Math.ceil(Math.max(1.2, ...ratios.map((o) => o.ratio!)) * 2) / 2,
      ticks: [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4].filter(
        (t) => t <= Math.ceil(Math.max(1.2, ...ratios.map((o) => o.ratio!)) * 2) / 2,
      ),
      lines: [{ value: 0.9, label: "goal 0.9", color: "#1b7f3b" }],
      format: (v) => v.toFixed(2),
    });
    parts.push(overhead.svg);
    y += overhead.height;
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 10}" viewBox="0 0 ${WIDTH} ${y + 10}" role="img" aria-label="${esc(input.title)}">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
