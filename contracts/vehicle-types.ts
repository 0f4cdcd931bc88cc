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
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'letters, digits, - and _'),
  name: z.string(),
  /** The type's fleet numbers, both ends included. */
  fleet: z
    .object({ from: z.number().int().positive(), to: z.number().int().positive() })
    .strict()
    .refine((f) => f.from <= f.to, 'fleet.from must not be above fleet.to'),
  lengthM: z.number().positive(),
  seats: z.number().int().positive(),
  standing: z.number().int().nonnegative(),
  doors: z.number().int().min(1).max(12),
  doorsConfirmed: z.boolean(),
  levels: z
    .object({ medium: z.number().int().positive(), high: z.number().int().positive() })
    .strict()
    .refine((l) => l.medium < l.high, 'levels.medium must be below levels.high'),
  /** The door board's pins per door (docs/sensing.md, "Door board"). */
  doorBoard: DoorBoardMappingSchema.optional(),
}).strict().refine((t) => !t.doorBoard || (t.doorBoard.doors.length === t.doors && t.doorBoard.doors.every((d) => d.door <= t.doors)), {
  message: 'doorBoard must map every door 1..doors once',
  path: ['doorBoard', 'doors'],
});
export type VehicleTypeData = z.infer<typeof VehicleTypeSchema> & { capacity: number };

const VehicleTypesFile = z
  .object({ types: z.array(VehicleTypeSchema).min(1) })
  .strict()
  .superRefine((file, ctx) => {
    // A fleet number belongs to one type: ids unique, ranges disjoint.
    file.types.forEach((t, i) => {
      file.types.slice(0, i).forEach((other) => {
        if (other.id === t.id) ctx.addIssue({ code: 'custom', path: ['types', i, 'id'], message: `type ${t.id} is listed twice` });
        if (t.fleet.from <= other.fleet.to && other.fleet.from <= t.fleet.to) {
          ctx.addIssue({ code: 'custom', path: ['types', i, 'fleet'], message: `fleet numbers ${t.fleet.from}-${t.fleet.to} overlap ${other.id}'s ${other.fleet.from}-${other.fleet.to}` });
        }
      });
    });
  });

/** The shipped vehicle types: HAVAG's fleet. */
export const VEHICLE_TYPES_FILE = fileURLToPath(new URL('./data/vehicle-types.yaml', import.meta.url));

export function loadVehicleTypes(path = VEHICLE_TYPES_FILE): Map<string, VehicleTypeData> {
  const file = loadYaml(path, VehicleTypesFile);
  return new Map(file.types.map((t) => [t.id, { ...t, capacity: t.seats + t.standing }]));
}


/**
 * Whether `vehicleId` may be a vehicle of `typeId`: the type must be known, and a fleet number (an
 * id of digits only) must lie in the type's range. Other ids (not HAVAG fleet numbers) are not
 * range-checked. Returns the problem, or undefined.
 */
export function fleetNumberProblem(types: ReadonlyMap<string, VehicleTypeData>, vehicleId: string, typeId: string): { field: 'type' | 'id'; message: string } | undefined {
  const type = types.get(typeId);
  if (!type) {
    return { field: 'type', message: `unknown vehicle type "${typeId}" (known: ${[...types.keys()].join(', ')}; a new type is added to contracts/data/vehicle-types.yaml first)` };
  }
  if (!/^\d+$/.test(vehicleId)) return undefined;
  const n = Number(vehicleId);
  if (n >= type.fleet.from && n <= type.fleet.to) return undefined;
  const owner = [...types.values()].find((t) => n >= t.fleet.from && n <= t.fleet.to);
  return {
    field: 'id',
    message: `fleet number ${vehicleId} is not an ${type.id} (its fleet numbers are ${type.fleet.from}-${type.fleet.to})${owner ? `; ${vehicleId} is an ${owner.id}` : ''}`,
  };
}
