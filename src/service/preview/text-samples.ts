// Text is stored as hashed n-gram features, which cannot be read back: a dataset made from
// texts keeps a few of its lines per class, so people can see what a class is about.

/** Lines per class, characters per line, and characters per dataset (it lives in the dataset's record). */
export const TEXT_SAMPLES = { perClass: 3, chars: 160, budget: 32_000 } as const;

const clip = (text: string) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > TEXT_SAMPLES.chars ? `${line.slice(0, TEXT_SAMPLES.chars - 1)}…` : line;
};

/**
 * The first few non-empty texts of each class, in row order; `texts[i]` belongs to row i
 * (label `labels[i]`). Classes past the budget keep none. Undefined when no row has text.
 */
export function pickTextSamples(labels: Int32Array, texts: readonly (string | undefined)[], classes: number): string[][] | undefined {
  if (!texts.some((text) => text !== undefined && text.trim() !== '')) return undefined;
  const samples = Array.from({ length: classes }, (): string[] => []);
  let budget: number = TEXT_SAMPLES.budget;
  texts.forEach((text, row) => {
    const kept = samples[labels[row]];
    if (text === undefined || text.trim() === '' || kept.length >= TEXT_SAMPLES.perClass) return;
    const line = clip(text);
    if (line.length > budget) return;
    budget -= line.length;
    kept.push(line);
  });
  return samples;
}
