// A bar chart of req/s ratios to the echo baseline, as a self-contained SVG.

export interface Bar {
  label: string;
  ratio: number;
  requestsPerSecond: number;
  target?: number;
}

export function ratioChart(title: string, bars: Bar[]): string {
  const width = 640;
  const rowHeight = 46;
  const left = 170;
  const top = 50;
  const scale = (width - left - 110) / Math.max(1.1, ...bars.map((bar) => bar.ratio));
  const height = top + bars.length * rowHeight + 40;
  const rows = bars.map((bar, i) => {
    const y = top + i * rowHeight;
    const barWidth = Math.max(1, bar.ratio * scale);
    const target =
      bar.target !== undefined
        ? `<line x1="${left + bar.target * scale}" x2="${left + bar.target * scale}" y1="${y - 4}" y2="${y + 32}" stroke="#c0392b" stroke-dasharray="4 3"/>`
        : '';
    return [
      `<text x="${left - 10}" y="${y + 20}" text-anchor="end">${escape(bar.label)}</text>`,
      `<rect x="${left}" y="${y}" width="${barWidth}" height="28" fill="#2e86de"/>`,
      `<text x="${left + barWidth + 8}" y="${y + 20}">${bar.ratio.toFixed(2)} × (${bar.requestsPerSecond} req/s)</text>`,
      target,
    ].join('');
  });
  const oneX = left + scale;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${width / 2}" y="26" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>
<line x1="${oneX}" x2="${oneX}" y1="${top - 8}" y2="${height - 30}" stroke="#888"/>
<text x="${oneX}" y="${height - 14}" text-anchor="middle" fill="#555">echo = 1.0 (red dashes: targets)</text>
${rows.join('\n')}
</svg>
`;
}

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
