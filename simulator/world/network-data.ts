/**
 * The simulated network's lines as data files (YAML), validated once with zod. Routes change from
 * time to time: they live in simulator/data/lines/, never in code. Vehicle types are a contract of
 * the whole system: contracts/vehicle-types.ts.
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadYaml } from '../../common/data-file.js';
import { clockMinutes, clockTime as hhmm } from '../../common/schema.js';

/** Headway windows follow one another through the day, each ending after it starts. */
const Headways = z
  .array(z.object({ from: hhmm, to: hhmm, minutes: z.number().positive().max(120) }).strict())
  .min(1)
  .superRefine((windows, ctx) => {
    windows.forEach((w, i) => {
      if (clockMinutes(w.to) <= clockMinutes(w.from)) ctx.addIssue({ code: 'custom', path: [i, 'to'], message: `${w.from} → ${w.to} ends before it starts (past midnight is 24:00 or later, e.g. 24:30)` });
      const before = windows[i - 1];
      if (before && clockMinutes(w.from) < clockMinutes(before.to)) ctx.addIssue({ code: 'custom', path: [i, 'from'], message: `starts at ${w.from}, before the window before it ends (${before.to})` });
    });
  });

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

export const LineSchema = z.strictObject({
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
    .array(z.object({ id: z.union([z.literal(0), z.literal(1)]), destinationId: z.number().int().min(0).max(999), destinationName: z.string() }).strict())
    .length(2)
    .refine((d) => d[0]!.id !== d[1]!.id, 'the two directions need ids 0 and 1'),
  service: z
    .object({
      headways: Headways,
      layoverMinutes: z.number().min(0).max(60),
      dwellSeconds: z.object({ min: z.number().positive(), hub: z.number().positive() }).strict(),
    })
    .strict(),
});
export type LineData = z.infer<typeof LineSchema>;

/** The simulator's data folder (lines/, demand/). */
export const DATA_DIR = fileURLToPath(new URL('../data/', import.meta.url));

export function loadLine(path: string): LineData {
  return loadYaml(path, LineSchema);
}
