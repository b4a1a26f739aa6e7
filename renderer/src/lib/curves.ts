/**
 * Series for uPlot, which wants one shared x array: training points arrive per batch (x = fractional
 * epoch), validation points per epoch (x = whole epochs). Merging puts both on one sorted x axis, with
 * null where a series has no value (uPlot spans those gaps).
 */

export interface Point {
  x: number;
  y: number | null;
}

export type AlignedData = [number[], ...(number | null)[][]];

export function alignSeries(series: Point[][]): AlignedData {
  const xs = [...new Set(series.flatMap((points) => points.map((p) => p.x)))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const columns = series.map((points) => {
    const column = new Array<number | null>(xs.length).fill(null);
    for (const p of points) column[index.get(p.x)!] = p.y;
    return column;
  });
  return [xs, ...columns];
}
