export interface TableColumn {
  header: string;
  align?: 'left' | 'right';
}

/** A plain-text table whose columns line up in a terminal and in a pasted report. */
export function formatTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, index) =>
    Math.max(displayWidth(column.header), ...rows.map((row) => displayWidth(row[index] ?? ''))),
  );
  const formatRow = (cells: readonly string[]) =>
    cells
      .map((cell, index) => {
        const padding = ' '.repeat((widths[index] ?? 0) - displayWidth(cell));
        return columns[index]?.align === 'right' ? padding + cell : cell + padding;
      })
      .join(' | ');
  const rule = widths.map((width) => '-'.repeat(width)).join('-|-');
  return [formatRow(columns.map((column) => column.header)), rule, ...rows.map(formatRow)].join('\n');
}

// Code points, not UTF-16 units, so '×', '✓' and '≥' count as one column each.
function displayWidth(text: string): number {
  return [...text].length;
}
