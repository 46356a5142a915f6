// A uPlot chart that follows its container's width and redraws when its data changes.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';

export const COLORS = { primary: '#2563eb', secondary: '#16a34a', accent: '#ea580c', muted: '#94a3b8', danger: '#dc2626' };

interface Props {
  /** Built once per chart; width is set from the container. */
  options: Omit<uPlot.Options, 'width'>;
  data: uPlot.AlignedData;
  /** Names the chart for tests and assistive technology. */
  name: string;
}

export function Chart({ options, data, name }: Props) {
  const container = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const element = container.current!;
    const chart = new uPlot({ ...options, width: element.clientWidth || 600 }, data, element);
    plot.current = chart;
    const resize = new ResizeObserver(() => chart.setSize({ width: element.clientWidth, height: options.height }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [options]);

  useEffect(() => {
    plot.current?.setData(data);
  }, [data]);

  // data-points: what the chart shows, for tests that cannot read a canvas.
  return <div class="chart" ref={container} role="img" aria-label={name} data-chart={name} data-points={data[0].length} />;
}
