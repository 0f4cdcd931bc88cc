/**
 * Vehicle types as data (contracts/data/vehicle-types.yaml), validated once with zod: seats,
 * standing places, doors, the Halle level thresholds, the fleet-number range and the door board's
 * pin mapping. The vehicle (its config is made from a type), the back office (plausibility of a
 * reported load) and the tools read the same file; types change with the fleet, never in code.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadYaml } from '../common/data-file.js';
import { DoorBoardMappingSchema } from './door-board-mapping.js';

export const VehicleTypeSchema = z.object({
  id: z.string(),
  name: z.string(),
  fleet: z.object({ from: z.number().int().positive(), to: z.number().int().positive() }),
  lengthM: z.number().positive(),
  seats: z.number().int().positive(),
  standing: z.number().int().nonnegative(),
  doors: z.number().int().min(1).max(12),
  doorsConfirmed: z.boolean(),
  levels: z.object({ medium: z.number().int().positive(), high: z.number().int().positive() }),
  /** The door board's pins per door (docs/sensing.md, "Door board"). */
  doorBoard: DoorBoardMappingSchema.optional(),
}).refine((t) => !t.doorBoard || (t.doorBoard.doors.length === t.doors && t.doorBoard.doors.every((d) => d.door <= t.doors)), {
  message: 'doorBoard must map every door 1..doors once',
  path: ['doorBoard', 'doors'],
});
export type VehicleTypeData = z.infer<typeof VehicleTypeSchema> & { capacity: number };

const VehicleTypesFile = z.object({ types: z.array(VehicleTypeSchema).min(1) });

/** The shipped vehicle types: HAVAG's fleet. */
export const VEHICLE_TYPES_FILE = fileURLToPath(new URL('./data/vehicle-types.yaml', import.meta.url));

export function loadVehicleTypes(path = VEHICLE_TYPES_FILE): Map<string, VehicleTypeData> {
  const file = loadYaml(path, VehicleTypesFile);
  return new Map(file.types.map((t) => [t.id, { ...t, capacity: t.seats + t.standing }]));
}

