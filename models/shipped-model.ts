/** Where the shipped load model lives (trained by `occupancy model train`, described in MODEL-CARD.md). */
import { fileURLToPath } from 'node:url';

export const SHIPPED_MODEL = fileURLToPath(new URL('./load-estimator.onnx', import.meta.url));
