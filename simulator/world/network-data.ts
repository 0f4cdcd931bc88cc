/**
 * Lines and vehicle types as data files (YAML), validated once with zod. Routes change from time
 * to time: they live in simulator/data/, never in code.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../common/errors.js';
import { DoorBoardMappingSchema } from '../../firmware-bindings/door-board/door-board-config.js';

const hhmm = z.string().regex(/^\d{1,2}:\d{2}$/, 'expected HH:MM');

const NamedStop = z
  .object({
    id: z.string().min(1),
    name: z.string().min(1),
    runMinutes: z.number().min(0).max(60),
    weight: z.number().positive().default(1),
    hub: z.boolean().default(false),
  })
  .strict();

/** Stops our sources do not name: `count` of them, `runMinutes` apart, between two named stops. */
const IntermediateStops = z
  .object({
    intermediate: z.number().int().min(1).max(30),
    runMinutes: z.number().positive().max(10),
    weight: z.number().positive().default(0.7),
  })
  .strict();

export type LineStop = z.infer<typeof NamedStop>;

/** Expands `intermediate` entries into stops named after their neighbours, marked as such. */
function expandStops(entries: Array<z.infer<typeof NamedStop> | z.infer<typeof IntermediateStops>>, ctx: z.RefinementCtx): LineStop[] {
  const out: LineStop[] = [];
  entries.forEach((entry, i) => {
    if ('name' in entry) {
      out.push(entry);
      return;
    }
    const prev = entries[i - 1];
    const next = entries[i + 1];
    if (!prev || !next || !('name' in prev) || !('name' in next)) {
      ctx.addIssue({ code: 'custom', path: [i], message: 'intermediate stops must sit between two named stops' });
      return;
    }
    for (let k = 1; k <= entry.intermediate; k++) {
      out.push({ id: `${prev.id}+${k}`, name: `${prev.name} → ${next.name} (${k}/${entry.intermediate})`, runMinutes: entry.runMinutes, weight: entry.weight, hub: false });
    }
  });
  return out;
}

export const LineSchema = z.object({
  id: z.string().min(1),
  line: z.number().int().min(1).max(999),
  name: z.string(),
  approximate: z.boolean().default(false),
  sources: z.string().optional(),
  stops: z
    .array(z.union([NamedStop, IntermediateStops]))
    .min(2)
    .transform(expandStops),
  directions: z
    .array(z.object({ id: z.union([z.literal(0), z.literal(1)]), destinationId: z.number().int().min(0).max(999), destinationName: z.string() }))
    .length(2),
  service: z.object({
    headways: z.array(z.object({ from: hhmm, to: hhmm, minutes: z.number().positive().max(120) })).min(1),
    layoverMinutes: z.number().min(0).max(60),
    dwellSeconds: z.object({ min: z.number().positive(), hub: z.number().positive() }),
  }),
});
export type LineData = z.infer<typeof LineSchema>;

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

/** Reads and validates a YAML file; errors name the file and the field. */
export function loadYaml<T>(path: string, schema: z.ZodType<T>): T {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(path, `cannot read: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`${path}: ${issue.path.join('.')}`, issue.message);
  }
  return parsed.data;
}

export const DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));

export function loadVehicleTypes(path = `${DATA_DIR}vehicle-types.yaml`): Map<string, VehicleTypeData> {
  const file = loadYaml(path, VehicleTypesFile);
  return new Map(file.types.map((t) => [t.id, { ...t, capacity: t.seats + t.standing }]));
}

export function loadLine(path: string): LineData {
  return loadYaml(path, LineSchema);
}
