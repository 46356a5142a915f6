// The API's request and response bodies, derived from the zod schemas the service validates
// requests and serialises responses with, so a client cannot drift from the routes. Requests are
// the schemas' input (what a caller may send: defaults optional), responses their output.
// Type-only: nothing here loads zod, the service or the core at run time, so the client and the
// dashboard's browser build can use these.
import type { z } from 'zod';
import type * as common from '../service/schemas/common.js';
import type * as datasets from '../service/schemas/datasets.js';
import type * as samples from '../service/schemas/dataset-samples.js';
import type * as health from '../service/schemas/health.js';
import type * as jobs from '../service/schemas/jobs.js';
import type * as metrics from '../service/schemas/job-metrics.js';
import type * as models from '../service/schemas/models.js';

// -- requests
export type Example = z.input<typeof common.Example>;
export type Query = z.input<typeof common.Query>;
export type CreateJob = z.input<typeof jobs.CreateJobBody>;
export type PredictRequest = z.input<typeof models.PredictBody>;
export type CreateAdaptation = z.input<typeof models.CreateAdaptationBody>;
/** Query-string parameters: their parsed (output) types, since the schema coerces strings. */
export type CreateDatasetQuery = z.output<typeof datasets.CreateDatasetQuery>;

// -- responses
export type Readiness = z.output<typeof health.Readiness>;
export type TextFeatures = z.output<typeof datasets.TextFeatures>;
export type DatasetSummary = z.output<typeof datasets.DatasetSummary>;
export type Dataset = z.output<typeof datasets.Dataset>;
export type InputSpec = Dataset['spec'];
export type Modality = DatasetSummary['modalities'][number];
/** GET /v1/datasets/:id/samples */
export type SamplePage = z.output<typeof samples.DatasetSamples>;
export type JobAccepted = z.output<typeof jobs.JobAccepted>;
export type Job = z.output<typeof jobs.Job>;
export type JobStatus = Job['status'];
export type Algorithm = Job['algorithm'];
export type Progress = z.output<typeof jobs.Progress>;
/** The training backend a job ran on, and the prediction process's (GET /readyz). */
export type Backend = NonNullable<Job['backend']>;
/** One point of GET /v1/jobs/:id/metrics. */
export type MetricPoint = z.output<typeof metrics.MetricPoint>;
export type ModelSummary = z.output<typeof models.ModelSummary>;
export type Model = z.output<typeof models.Model>;
export type Accuracy = NonNullable<ModelSummary['accuracy']>;
export type Evaluation = NonNullable<Model['evaluation']>;
export type Prediction = z.output<typeof common.Prediction>;
export type PredictResponse = z.output<typeof models.PredictResponse>;
export type Predictions = z.output<typeof models.Predictions>;
export type Adaptation = z.output<typeof models.Adaptation>;
/** The one error shape of every non-2xx answer. */
export type ErrorBody = z.output<typeof common.ErrorResponse>;
