/** Plain-text tables, aligned the way kubectl prints them. */
export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('   ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

/** Bytes as kubectl-like text: Gi or Mi with up to one decimal. */
export function humanBytes(value: number): string {
  if (value === 0) return '0';
  const gi = value / 2 ** 30;
  if (gi >= 1) return `${Number(gi.toFixed(1))}Gi`;
  const mi = value / 2 ** 20;
  if (mi >= 1) return `${Number(mi.toFixed(1))}Mi`;
  return `${Math.round(value / 1024)}Ki`;
}
