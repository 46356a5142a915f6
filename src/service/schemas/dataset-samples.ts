import { z } from 'zod';

export const DatasetSamplesQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0).meta({ description: 'First class (index into the classes)' }),
  limit: z.coerce.number().int().min(1).max(100).default(24).meta({ description: 'Classes in the page' }),
  perClass: z.coerce.number().int().min(1).max(16).default(4).meta({ description: 'Examples shown per class' }),
});

export const DatasetSamples = z
  .object({
    datasetId: z.string(),
    totalClasses: z.int(),
    offset: z.int(),
    classes: z.array(
      z.object({
        index: z.int(),
        name: z.string(),
        examples: z.int(),
        samples: z.array(
          z.object({
            row: z.int(),
            image: z.string().optional().meta({ description: 'A PNG data: URL of the image as stored (after resizing)' }),
            vector: z.array(z.number()).optional().meta({ description: 'The first values of the vector' }),
          }),
        ),
        texts: z.array(z.string()).meta({ description: 'Lines kept when the dataset was uploaded as JSON/NDJSON with text' }),
      }),
    ),
  })
  .meta({ id: 'DatasetSamples' });
export type DatasetSamples = z.output<typeof DatasetSamples>;
