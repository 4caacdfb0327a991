/**
 * Renders a Vega-Lite chart server-side: Vega-Lite compiles it to Vega, Vega draws it to
 * SVG with no browser or canvas, and sharp (librsvg) rasterises the SVG to PNG.
 */
import sharp from 'sharp';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** A rendered chart in both formats. */
export interface RenderedChart {
  svg: string;
  png: Buffer;
}

/** Pixels per CSS pixel of the PNG (2 = sharp on high-density screens and in print). */
export const PNG_SCALE = 2;

/** Renders a Vega-Lite specification to SVG and PNG. */
export async function renderChart(spec: TopLevelSpec): Promise<RenderedChart> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const png = await sharp(Buffer.from(svg), { density: 72 * PNG_SCALE }).png().toBuffer();
    return { svg, png };
  } finally {
    view.finalize();
  }
}
