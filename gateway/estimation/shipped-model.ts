/** Where the shipped load model lives: models/load-estimator.onnx, an asset of the vehicle image (trained by `occupancy model train`, described in models/MODEL-CARD.md). */
import { fileURLToPath } from 'node:url';

export const SHIPPED_MODEL = fileURLToPath(new URL('../../models/load-estimator.onnx', import.meta.url));
