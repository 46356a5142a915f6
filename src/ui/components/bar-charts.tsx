// Bar charts: a model's accuracy against its baselines (with 95% confidence intervals), and a
// histogram. Each bar of the accuracy chart is its own series, so each has a colour and a legend entry.
import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import type { Accuracy } from '../api-types.js';
import { Chart, COLORS } from './chart.js';

const bars = uPlot.paths.bars!({ size: [0.6, 90], align: 0 });

export interface AccuracyBar {
  label: string;
  accuracy: Accuracy;
  color: string;
}

/** Draws each bar's ±ci95 whisker over it. */
const whiskers = (items: readonly AccuracyBar[]): uPlot.Plugin => ({
  hooks: {
    draw: [
      (u) => {
        const { ctx } = u;
        ctx.save();
        ctx.strokeStyle = '#0f172a';
        ctx.lineWidth = 1.5 * devicePixelRatio;
        items.forEach((item, i) => {
          if (item.accuracy.ci95 <= 0) return;
          const x = u.valToPos(i, 'x', true);
          const low = u.valToPos(Math.max(0, item.accuracy.mean - item.accuracy.ci95), 'y', true);
          const high = u.valToPos(Math.min(1, item.accuracy.mean + item.accuracy.ci95), 'y', true);
          const cap = 8 * devicePixelRatio;
          ctx.beginPath();
          ctx.moveTo(x, low);
          ctx.lineTo(x, high);
          ctx.moveTo(x - cap, low);
          ctx.lineTo(x + cap, low);
          ctx.moveTo(x - cap, high);
          ctx.lineTo(x + cap, high);
          ctx.stroke();
        });
        ctx.restore();
      },
    ],
  },
});

const percentValue = (_u: uPlot, v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);

export function AccuracyChart({ items }: { items: readonly AccuracyBar[] }) {
  const options = useMemo(
    (): Omit<uPlot.Options, 'width'> => ({
      height: 260,
      cursor: { show: false },
      legend: { show: true, live: false },
      scales: { x: { time: false, range: [-0.5, items.length - 0.5] }, y: { range: [0, 1] } },
      series: [
        { label: 'baseline' },
        ...items.map((item): uPlot.Series => ({ label: item.label, fill: item.color, stroke: item.color, paths: bars, points: { show: false }, value: percentValue })),
      ],
      axes: [
        { splits: () => items.map((_, i) => i), values: (_u, splits) => splits.map((i) => items[i]?.label ?? ''), grid: { show: false } },
        { values: (_u, splits) => splits.map((v) => `${Math.round(v * 100)}%`), grid: { stroke: '#e2e8f0' } },
      ],
      plugins: [whiskers(items)],
    }),
    [items],
  );
  const data = useMemo(
    (): uPlot.AlignedData => [items.map((_, i) => i), ...items.map((item, i) => items.map((_, j) => (i === j ? item.accuracy.mean : null)))],
    [items],
  );
  return <Chart name="accuracy-vs-baselines" options={options} data={data} />;
}

/** Tick steps for counts: whole numbers only. */
const WHOLE = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000];

/** Classes by how many examples they have: one bar per count when there are few distinct counts, else 20 bins. */
export function Histogram({ values, label }: { values: readonly number[]; label: string }) {
  const { data, options } = useMemo(() => {
    const min = Math.min(...values);
    const max = Math.max(...values);
    const width = max - min + 1 <= 30 ? 1 : Math.ceil((max - min + 1) / 20);
    const bins = Math.floor((max - min) / width) + 1;
    const counts = new Array<number>(bins).fill(0);
    for (const v of values) counts[Math.floor((v - min) / width)]++;
    const starts = counts.map((_, i) => min + i * width);
    const options: Omit<uPlot.Options, 'width'> = {
      height: 200,
      legend: { show: false },
      scales: { x: { time: false, range: [min - width, max + width] } },
      series: [{ label }, { label: 'classes', fill: COLORS.primary, stroke: COLORS.primary, paths: bars, points: { show: false } }],
      axes: [
        { label, grid: { show: false }, incrs: WHOLE },
        { label: 'classes', grid: { stroke: '#e2e8f0' }, incrs: WHOLE },
      ],
    };
    return { data: [starts, counts] as uPlot.AlignedData, options };
  }, [values, label]);
  return <Chart name="examples-per-class" options={options} data={data} />;
}
