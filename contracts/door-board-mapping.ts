/**
 * The door board's pin mapping: which Arduino pins carry each door's contact and its two light
 * barriers (outer = street side, inner = saloon side), and which electrical level means "door open"
 * and "beam broken". A mapping belongs to a vehicle type (contracts/data/vehicle-types.yaml,
 * `doorBoard`) and is copied into a vehicle's gateway config under `sources.doorBoard.mapping`.
 *
 * Must never: hold defaults of one vehicle type in code (they are data), or accept a mapping where
 * two signals share a pin.
 */
import { z } from 'zod';

/** Pins 0 and 1 are the board's serial line to the gateway. */
const pin = z.number().int().min(2).max(127);
const level = z.enum(['high', 'low']);

export const DoorPinsSchema = z
  .object({
    door: z.number().int().min(1).max(12),
    contact: pin,
    outer: pin,
    inner: pin,
  })
  .strict();

export const DoorBoardMappingSchema = z
  .object({
    /** The Arduino the door board is built on (documents the pin range; the board's own capabilities are checked at connect). */
    board: z.enum(['uno', 'mega']).default('uno'),
    /** The level of a contact pin while its door is open. */
    contactOpenLevel: level.default('low'),
    /** The level of a beam pin while its beam is broken. */
    beamBrokenLevel: level.default('high'),
    /** Inputs use the board's pull-up resistors (open-collector outputs of opto-couplers and barriers). */
    pullup: z.boolean().default(true),
    doors: z.array(DoorPinsSchema).min(1).max(12),
  })
  .strict()
  .superRefine((m, ctx) => {
    const seen = new Map<number, string>();
    const doors = new Set<number>();
    m.doors.forEach((d, i) => {
      if (doors.has(d.door)) ctx.addIssue({ code: 'custom', path: ['doors', i, 'door'], message: `door ${d.door} is mapped twice` });
      doors.add(d.door);
      for (const role of ['contact', 'outer', 'inner'] as const) {
        const p = d[role];
        const other = seen.get(p);
        if (other) ctx.addIssue({ code: 'custom', path: ['doors', i, role], message: `pin ${p} is already ${other}` });
        seen.set(p, `door ${d.door} ${role}`);
        if (m.board === 'uno' && p > 19) ctx.addIssue({ code: 'custom', path: ['doors', i, role], message: `pin ${p} is not on an Uno (2-19)` });
        if (m.board === 'mega' && p > 69) ctx.addIssue({ code: 'custom', path: ['doors', i, role], message: `pin ${p} is not on a Mega (2-69)` });
      }
    });
  });

export type DoorPins = z.infer<typeof DoorPinsSchema>;
export type DoorBoardMapping = z.infer<typeof DoorBoardMappingSchema>;

