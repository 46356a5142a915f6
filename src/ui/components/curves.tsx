// A job's learning curves: meta-training loss, and training accuracy with validation points.
import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import type { MetricPoint } from '../api-types.js';
import { Chart, COLORS } from './chart.js';

const iterationAxis: uPlot.Axis = { label: 'iteration', stroke: '#475569', grid: { stroke: '#e2e8f0' } };
const valueAxis = (label: string, format?: (v: number) => string): uPlot.Axis => ({
  label,
  stroke: '#475569',
  grid: { stroke: '#e2e8f0' },
  ...(format ? { values: (_u, splits) => splits.map(format) } : {}),
});

const lossOptions: Omit<uPlot.Options, 'width'> = {
  height: 220,
  scales: { x: { time: false } },
  series: [{ label: 'iteration' }, { label: 'loss', stroke: COLORS.primary, width: 1.5 }],
  axes: [iterationAxis, valueAxis('loss')],
};

const accuracyOptions: Omit<uPlot.Options, 'width'> = {
  height: 220,
  scales: { x: { time: false }, y: { range: [0, 1] } },
  series: [
    { label: 'iteration' },
    { label: 'train accuracy', stroke: COLORS.primary, width: 1.5, value: (_u, v) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`) },
    {
      label: 'validation accuracy',
      stroke: COLORS.accent,
      width: 2,
      spanGaps: true,
      points: { show: true, size: 7, fill: COLORS.accent },
      value: (_u, v) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`),
    },
  ],
  axes: [iterationAxis, valueAxis('accuracy', (v) => `${Math.round(v * 100)}%`)],
};

export function LearningCurves({ points }: { points: readonly MetricPoint[] }) {
  // Later phases (evaluation) repeat the last iteration: the curves are meta-training only.
  const { loss, accuracy } = useMemo(() => {
    const training = points.filter((p) => p.phase === 'meta-training');
    const x = training.map((p) => p.iteration);
    return {
      loss: [x, training.map((p) => p.loss)] as uPlot.AlignedData,
      accuracy: [x, training.map((p) => p.accuracy), training.map((p) => p.validationAccuracy)] as uPlot.AlignedData,
    };
  }, [points]);
  return (
    <div class="grid two">
      <section class="card">
        <h3>Meta-training loss</h3>
        <Chart name="loss" options={lossOptions} data={loss} />
      </section>
      <section class="card">
        <h3>Accuracy</h3>
        <Chart name="accuracy" options={accuracyOptions} data={accuracy} />
      </section>
    </div>
  );
}
