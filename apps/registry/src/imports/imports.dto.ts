import { z } from 'zod';

/** `POST /admin/models/{name}/imports/mlflow/url`: the MLflow model directory to import, on an allow-listed origin. */
export const ImportUrlSchema = z.object({
  url: z.string().min(1).max(2000),
});
export type ImportUrlDto = z.infer<typeof ImportUrlSchema>;
