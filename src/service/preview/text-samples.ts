// A class's raw texts as a person wants to see them: the first few non-empty ones, each on one
// line and clipped, so a page of classes stays small whatever the headlines' length.

export const TEXT_SAMPLE_CHARS = 160;

const clip = (text: string) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > TEXT_SAMPLE_CHARS ? `${line.slice(0, TEXT_SAMPLE_CHARS - 1)}…` : line;
};

/**
 * Up to `perClass` lines of each class in `classes`, in row order; `texts[i]` is row i's raw
 * text ('' where it has none) and `labels[i]` its class.
 */
export function textSamples(labels: Int32Array, texts: readonly string[] | undefined, classes: Iterable<number>, perClass: number): Map<number, string[]> {
  const samples = new Map<number, string[]>();
  for (const c of classes) samples.set(c, []);
  texts?.forEach((text, row) => {
    const kept = samples.get(labels[row]);
    if (kept && kept.length < perClass && text.trim() !== '') kept.push(clip(text));
  });
  return samples;
}
