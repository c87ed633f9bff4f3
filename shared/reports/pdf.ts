/**
 * The monthly report as a PDF (pdfkit), with the DejaVu Sans font embedded (subset) so that
 * Vietnamese text renders the same in every reader: the PDF standard fonts have no Vietnamese
 * glyphs. Same figures, words and number formats as the HTML (shared/reports/text.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import type { MonthlyFigures, Ranked } from './monthly.ts';
import { FAILURE_LABELS, T, fmtDay, fmtInt, fmtMinute, fmtMonth, fmtPercent, fmtTrend, subjectTitle } from './text.ts';

export interface ReportFonts {
  regular: Buffer;
  bold: Buffer;
}

let cached: ReportFonts | undefined;

/**
 * DejaVu Sans (regular and bold): beside the running bundle (the Lambda bundle gets the files
 * copied there: `bundleFiles` in infra/wiring.ts), else from the `dejavu-fonts-ttf` package.
 */
export function reportFonts(): ReportFonts {
  if (cached) return cached;
  const file = (name: string): string => {
    const beside = new URL(`./${name}`, import.meta.url);
    return existsSync(beside) ? fileURLToPath(beside) : createRequire(import.meta.url).resolve(`dejavu-fonts-ttf/ttf/${name}`);
  };
  cached = { regular: readFileSync(file('DejaVuSans.ttf')), bold: readFileSync(file('DejaVuSans-Bold.ttf')) };
  return cached;
}

const MARGIN = 50;
const INK = '#1b2733';
const MUTED = '#55606b';
const ACCENT = '#c8102e';

/** Renders the report; resolves to the PDF bytes. */
export function renderPdf(f: MonthlyFigures, generatedAt: string, fonts: ReportFonts = reportFonts()): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    font: fonts.regular as unknown as string,
    info: { Title: `${T.title} ${fmtMonth(f.month)} — ${subjectTitle(f)}`, Author: 'ngsp-stats', Subject: f.subject },
    lang: 'vi-VN',
    // Fixed dates: rendering the same figures gives the same bytes (but generatedAt in the text).
    ...({ creationDate: new Date(generatedAt) } as object),
  } as PDFKit.PDFDocumentOptions);
  doc.registerFont('regular', fonts.regular);
  doc.registerFont('bold', fonts.bold);
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const width = doc.page.width - 2 * MARGIN;
  const bottom = (): number => doc.page.height - MARGIN;
  const ensure = (h: number): void => {
    if (doc.y + h > bottom()) doc.addPage();
  };
  const heading = (text: string): void => {
    ensure(60);
    doc.moveDown(0.8);
    doc.font('bold').fontSize(13).fillColor(INK).text(text, MARGIN, doc.y, { width });
    const y = doc.y + 2;
    doc
      .moveTo(MARGIN, y)
      .lineTo(MARGIN + width, y)
      .lineWidth(1.5)
      .strokeColor(ACCENT)
      .stroke();
    doc.y = y + 6;
  };
  const note = (text: string): void => {
    doc.font('regular').fontSize(9).fillColor(MUTED).text(text, MARGIN, doc.y, { width });
    doc.moveDown(0.3);
  };
  const table = (head: string[], rows: string[][], widths: number[], numeric: boolean[]): void => {
    if (!rows.length) {
      note(T.none);
      return;
    }
    const line = (cells: string[], font: 'regular' | 'bold'): void => {
      doc.font(font).fontSize(9.5).fillColor(INK);
      const heights = cells.map((c, i) => doc.heightOfString(c, { width: widths[i]! * width - 6 }));
      const h = Math.max(...heights) + 5;
      ensure(h);
      const y = doc.y;
      let x = MARGIN;
      cells.forEach((c, i) => {
        const w = widths[i]! * width;
        doc.text(c, x + 3, y + 2, { width: w - 6, align: numeric[i] ? 'right' : 'left' });
        x += w;
      });
      doc
        .moveTo(MARGIN, y + h)
        .lineTo(MARGIN + width, y + h)
        .lineWidth(0.5)
        .strokeColor('#d6dde3')
        .stroke();
      doc.y = y + h + 1;
    };
    line(head, 'bold');
    for (const r of rows) line(r, 'regular');
  };
  const ranked = (xs: Ranked[]): string[][] => xs.map((x) => [x.label, fmtInt(x.transactions), fmtInt(x.failed ?? 0)]);

  // Title and scope
  doc
    .font('bold')
    .fontSize(17)
    .fillColor(INK)
    .text(`${T.title} ${fmtMonth(f.month)}`, { width });
  doc.moveDown(0.2);
  doc
    .font('regular')
    .fontSize(11)
    .text(`${T.subject}: ${subjectTitle(f)}`, { width });
  note(
    `${T.daysPublished}: ${fmtInt(f.daysPublished)}/${fmtInt(f.daysInMonth)} · ${T.generatedAt}: ${fmtMinute(generatedAt)}. ${T.scopeNote[f.kind]}`,
  );
  if (f.basis === 'unavailable') note(T.unavailable);

  heading(T.totals);
  const cards: [string, string][] = [
    [T.transactions, fmtInt(f.totals.transactions)],
    [T.succeeded, fmtInt(f.totals.succeeded)],
    [T.failed, fmtInt(f.totals.failed)],
    [T.paired, fmtInt(f.totals.pairedTransactions)],
    [T.successRate, fmtPercent(f.successRate)],
    [`${T.trend}${f.previous ? ` (${T.previousMonth}: ${fmtInt(f.previous.transactions)})` : ''}`, fmtTrend(f.trendPercent)],
  ];
  const cardW = width / 3;
  for (let i = 0; i < cards.length; i += 3) {
    ensure(56);
    const y = doc.y;
    cards.slice(i, i + 3).forEach(([label, value], j) => {
      const x = MARGIN + j * cardW;
      doc
        .roundedRect(x + 2, y, cardW - 4, 42, 4)
        .lineWidth(0.7)
        .strokeColor('#d6dde3')
        .stroke();
      doc
        .font('bold')
        .fontSize(14)
        .fillColor(INK)
        .text(value, x + 8, y + 5, { width: cardW - 16 });
      doc
        .font('regular')
        .fontSize(8)
        .fillColor(MUTED)
        .text(label, x + 8, y + 25, { width: cardW - 16, height: 22, ellipsis: true });
    });
    doc.y = y + 56;
  }

  heading(T.topServices);
  table([T.service, T.transactions, T.failed], ranked(f.topServices), [0.6, 0.2, 0.2], [false, true, true]);
  if (f.basis !== 'systems-rows') {
    heading(f.kind === 'province' ? T.partnerProvincesOf : T.partnerProvinces);
    table([T.province, T.transactions, T.failed], ranked(f.partnerProvinces), [0.6, 0.2, 0.2], [false, true, true]);
  }
  if (f.partnerOrgs) {
    heading(T.partnerOrgs);
    table([T.organisation, T.transactions, T.failed], ranked(f.partnerOrgs), [0.6, 0.2, 0.2], [false, true, true]);
  }
  heading(T.failureCauses);
  table(
    [T.cause, T.count, T.share],
    f.failureCauses
      .filter((c) => c.count > 0)
      .map((c) => [FAILURE_LABELS[c.column], fmtInt(c.count), fmtPercent(f.totals.failed ? c.count / f.totals.failed : null)]),
    [0.6, 0.2, 0.2],
    [false, true, true],
  );
  heading(T.busiestDays);
  table(
    [T.day, T.transactions],
    f.busiestDays.map((d) => [fmtDay(d.day), fmtInt(d.transactions)]),
    [0.6, 0.4],
    [false, true],
  );
  heading(T.busiestMinutes);
  table(
    [T.minute, T.transactions],
    f.busiestMinutes.map((m) => [fmtMinute(m.periodStart), fmtInt(m.transactions)]),
    [0.6, 0.4],
    [false, true],
  );
  heading(T.systems);
  if (f.systems) {
    doc
      .font('regular')
      .fontSize(10)
      .fillColor(INK)
      .text(`${fmtInt(f.systems.count)} ${T.systemsConnected}`, MARGIN, doc.y, { width });
    doc.moveDown(0.3);
    table(
      [T.organisation, T.systemsCount],
      f.systems.byOrg.map((o) => [o.label, fmtInt(o.transactions)]),
      [0.6, 0.4],
      [false, true],
    );
  } else note(T.systemsUnavailable);
  heading(T.reportingPlatforms);
  doc
    .font('regular')
    .fontSize(9.5)
    .fillColor(INK)
    .text(f.reportingPlatforms.join(', ') || T.none, MARGIN, doc.y, { width });
  doc.moveDown(0.6);
  note(T.source);
  doc.end();
  return done;
}
