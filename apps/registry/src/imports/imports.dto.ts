import { z } from 'zod';

/** `POST /admin/models/{name}/imports/mlflow/url`: the MLflow model directory to import, on an allow-listed origin. */
export const ImportUrlSchema = z.object({
  url: z.string().min(1).max(2000),
});
export type ImportUrlDto = z.infer<typeof ImportUrlSchema>;

/** `POST …/imports/mlflow/alias`: the alias of a registered model on an MLflow-compatible registry (its tracking server's URL, allow-listed). */
export const ImportAliasSchema = z.object({
  trackingUrl: z.string().min(1).max(2000),
  name: z.string().min(1).max(256),
  alias: z.string().min(1).max(256),
});
export type ImportAliasDto = z.infer<typeof ImportAliasSchema>;
