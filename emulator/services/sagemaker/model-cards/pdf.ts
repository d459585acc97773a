/**
 * A small text-only PDF (PDF 1.4, the standard Helvetica font, so nothing is embedded): title
 * and lines of text, paginated. Enough for a model card export, which on AWS is a PDF of the
 * card; no layout engine is worth a dependency for that.
 */
const PAGE_WIDTH = 612;
const PAGE_HEIGHT = 792;
const MARGIN = 56;
const LINE_HEIGHT = 14;
const FONT_SIZE = 10;
const CHARS_PER_LINE = 95;
const LINES_PER_PAGE = Math.floor((PAGE_HEIGHT - 2 * MARGIN - 2 * LINE_HEIGHT) / LINE_HEIGHT);

/** Text as PDF string bytes: Latin-1 only (Helvetica's WinAnsi encoding); other characters become '?'. */
function pdfString(text: string): string {
  return `(${[...text].map((c) => (c.charCodeAt(0) > 255 ? '?' : c)).join('').replace(/[\\()]/g, (c) => `\\${c}`).replace(/[\r\n\t]/g, ' ')})`;
}

function wrap(line: string): string[] {
  if (line.length <= CHARS_PER_LINE) return [line];
  const out: string[] = [];
  for (let i = 0; i < line.length; i += CHARS_PER_LINE) out.push(line.slice(i, i + CHARS_PER_LINE));
  return out;
}

export function textPdf(title: string, lines: string[]): Buffer {
  const wrapped = lines.flatMap((l) => wrap(l));
  const pages: string[][] = [];
  for (let i = 0; i < Math.max(wrapped.length, 1); i += LINES_PER_PAGE) pages.push(wrapped.slice(i, i + LINES_PER_PAGE));

  // Objects: 1 catalog, 2 page tree, 3 font, then per page a page object and its content stream.
  const objects: string[] = [];
  const pageIds = pages.map((_, i) => 4 + 2 * i);
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  pages.forEach((page, i) => {
    const top = PAGE_HEIGHT - MARGIN;
    const ops = ['BT', `/F1 14 Tf`, `${MARGIN} ${top} Td`, `${pdfString(i === 0 ? title : `${title} (continued)`)} Tj`, `/F1 ${FONT_SIZE} Tf`, `0 -${2 * LINE_HEIGHT} Td`];
    for (const line of page) ops.push(`${pdfString(line)} Tj`, `0 -${LINE_HEIGHT} Td`);
    ops.push('ET');
    const stream = ops.join('\n');
    objects[pageIds[i]] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources << /Font << /F1 3 0 R >> >> /Contents ${pageIds[i] + 1} 0 R >>`;
    objects[pageIds[i] + 1] = `<< /Length ${Buffer.byteLength(stream, 'latin1')} >>\nstream\n${stream}\nendstream`;
  });

  let body = '%PDF-1.4\n%\xe2\xe3\xcf\xd3\n';
  const offsets: number[] = [];
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = Buffer.byteLength(body, 'latin1');
    body += `${id} 0 obj\n${objects[id]}\nendobj\n`;
  }
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length}\n0000000000 65535 f \n`;
  for (let id = 1; id < objects.length; id++) body += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}
