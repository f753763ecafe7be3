import { z } from 'zod';
import { OipDatatypeSchema } from '../tensors/datatype';

/**
 * One input or output of a model, as read from the ONNX graph. A dimension of -1 is dynamic
 * (a symbolic or unknown dimension in ONNX), as OIP model metadata writes it.
 */
export const TensorSpecSchema = z.object({
  name: z.string().min(1),
  datatype: OipDatatypeSchema,
  shape: z.array(z.number().int().min(-1)),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const ModelSignatureSchema = z.object({
  inputs: z.array(TensorSpecSchema),
  outputs: z.array(TensorSpecSchema),
});
export type ModelSignature = z.infer<typeof ModelSignatureSchema>;
