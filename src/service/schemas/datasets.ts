import { z } from 'zod';
import { DEFAULT_RESIZE, MAX_TEXT_DIM, MODALITIES, RESIZE_FILTERS, STROKE_POINTS_RANGE, TEXT_FEATURE_KINDS } from '../core.js';
import { Upload } from '../plugins/content-types.js';
import { Example, Timestamp } from './common.js';

const Name = z.string().trim().min(1).max(200);

export const TextFeatures = z
  .strictObject({
    features: z.enum(TEXT_FEATURE_KINDS).meta({
      description: "'tfidf-svd': TF-IDF over a vocabulary fitted on the meta-training classes, projected by a truncated SVD; 'hashing': hashed word n-grams",
    }),
    dim: z
      .int()
      .min(2)
      .max(MAX_TEXT_DIM.hashing)
      .meta({ description: `Width of the vector each text becomes (tfidf-svd: at most ${MAX_TEXT_DIM['tfidf-svd']})` }),
  })
  .meta({ id: 'TextFeatures', description: 'How text becomes the model input' });

export const DatasetSummary = z
  .object({
    id: z.string(),
    name: z.string(),
    numClasses: z.int(),
    numExamples: z.int(),
    modalities: z.array(z.enum(MODALITIES)),
    tenant: z.string(),
    bytes: z.int().meta({ description: 'Size of the stored dataset file' }),
    text: TextFeatures.optional().meta({ description: 'The text features jobs on this dataset use unless they choose their own' }),
    createdAt: Timestamp,
  })
  .meta({ id: 'DatasetSummary' });

const InputSpec = z
  .object({
    image: z
      .object({
        height: z.int(),
        width: z.int(),
        channels: z.int(),
        invert: z.boolean().optional().meta({ description: 'Stored as 1 - intensity' }),
        resize: z.enum(RESIZE_FILTERS).optional().meta({ description: "Filter images were resized with; absent means 'bilinear'" }),
      })
      .optional(),
    text: z.object({ features: z.int() }).optional(),
    vector: z.object({ dim: z.int() }).optional(),
    strokes: z.object({ points: z.int() }).optional(),
  })
  .meta({ id: 'InputSpec', description: 'Shape of each modality the data carries' });

const ClassSplit = z
  .object({ train: z.array(z.int()).readonly(), validation: z.array(z.int()).readonly(), test: z.array(z.int()).readonly() })
  .meta({
    id: 'ClassSplit',
    description: "The publisher's class split (indices into classes), which jobs follow; absent when jobs split classes by their fractions",
  });

export const Dataset = DatasetSummary.extend({
  classes: z.array(z.object({ name: z.string(), examples: z.int() })),
  spec: InputSpec,
  split: ClassSplit.optional(),
}).meta({ id: 'Dataset' });

export const DatasetList = z.object({ datasets: z.array(DatasetSummary) });

export const CreateDatasetQuery = z.strictObject({
  name: Name.optional().meta({ description: 'Dataset name; required for NDJSON and zip uploads' }),
  imageSize: z.coerce.number().int().min(4).max(512).optional().meta({
    description: 'Side length images are resized to (default: 28 for 1 channel, 84 for 3)',
  }),
  channels: z.coerce.number().int().pipe(z.union([z.literal(1), z.literal(3)])).optional().meta({
    description: 'Image channels: 1 (grayscale) or 3 (RGB); default: inferred from the images',
  }),
  resize: z.enum(RESIZE_FILTERS).optional().meta({
    description: `Filter images are resized with, recorded in the dataset and used for every prediction of its models (default: ${DEFAULT_RESIZE})`,
  }),
  textFeatures: z.enum(TEXT_FEATURE_KINDS).optional().meta({
    description: "Text features jobs on this dataset use unless they choose: 'tfidf-svd' (default) or 'hashing'",
  }),
  textDim: z.coerce.number().int().min(2).max(MAX_TEXT_DIM.hashing).optional().meta({
    description: `Width of those text features (default: 256 for tfidf-svd, at most ${MAX_TEXT_DIM['tfidf-svd']}; 1024 for hashing)`,
  }),
  strokePoints: z.coerce.number().int().min(STROKE_POINTS_RANGE.min).max(STROKE_POINTS_RANGE.max).optional().meta({
    description: 'Points each drawing is resampled to (default 64)',
  }),
});

const Examples = z.array(Example).min(1);

export const CreateDatasetJson = z.strictObject({ name: Name, examples: Examples }).meta({ id: 'CreateDataset' });
export type CreateDatasetJsonInput = z.output<typeof CreateDatasetJson>;

/** Request bodies by content type; the NDJSON parser turns its lines into an Example array. */
export const CreateDatasetBody = {
  content: {
    'application/json': { schema: CreateDatasetJson },
    'application/x-ndjson': { schema: Examples.meta({ description: 'One Example object per line' }) },
    'application/zip': {
      schema: z.instanceof(Upload).meta({
        type: 'string',
        format: 'binary',
        description: 'A zip of class folders of images: <class>/<image>.png|jpg (any depth above <class>)',
      }),
    },
  },
};
