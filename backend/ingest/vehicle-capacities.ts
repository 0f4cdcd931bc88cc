/**
 * Design capacity (seats + standing) per vehicle type, for the plausibility bounds. The one place
 * the backend reads the vehicle types: the import below is repointed to contracts/vehicle-types.ts
 * when that module exists (the backend must not import the simulator).
 */
import { loadVehicleTypes } from '../../contracts/vehicle-types.js';

/** Vehicle type id -> capacity, from the vehicle types file (default: the shipped one). */
export function capacitiesByType(path?: string): Map<string, number> {
  return new Map([...loadVehicleTypes(path).values()].map((t) => [t.id, t.capacity]));
}
