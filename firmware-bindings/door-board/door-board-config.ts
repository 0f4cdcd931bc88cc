/**
 * The door board's configuration, validated once with zod: which Arduino pins carry each door's
 * contact and its two light barriers (outer = street side, inner = saloon side), which electrical
 * level means "door open" and "beam broken", and the timing of debouncing and fault rules. The
 * mapping of each vehicle type lives in simulator/data/vehicle-types.yaml (`doorBoard`), and a
 * vehicle's gateway config carries it under `sources.doorBoard`.
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

export const DoorBoardTimingSchema = z
  .object({
    /** A contact level counts once it has held this long (door contacts bounce for a few ms). */
    contactDebounceMs: z.number().int().min(0).max(1000).default(50),
    /** A beam level counts once it has held this long; beam edges closer than this cannot be ordered. */
    beamDebounceMs: z.number().int().min(0).max(200).default(15),
    /** A beam broken this long is a 'beam' fault (someone standing in the door is rarely there this long). */
    beamBlockedSeconds: z.number().positive().max(3600).default(30),
    /** A door whose contact has not changed across this many stops of the vehicle is a 'door-contact' fault. */
    contactStuckStops: z.number().int().min(2).max(1000).default(12),
    /** A door open longer than this is a 'door-contact' fault (a layover with open doors is shorter). */
    doorOpenMaxMinutes: z.number().positive().max(24 * 60).default(30),
    /** The board is asked for a pin state this often while it is quiet… */
    heartbeatSeconds: z.number().positive().max(600).default(5),
    /** …and must answer within this; otherwise it is 'door-board' fault and reconnected. */
    answerTimeoutMs: z.number().int().positive().max(60_000).default(1000),
    /** From opening the port to a ready board (a real Uno needs about 2 s after the reset on open). */
    handshakeTimeoutMs: z.number().int().positive().max(60_000).default(5000),
    /** Reconnection back-off: the first wait, doubled per failed attempt up to the maximum. */
    reconnectMinMs: z.number().int().positive().default(1000),
    reconnectMaxMs: z.number().int().positive().default(60_000),
  })
  .strict();

export type DoorBoardTiming = z.infer<typeof DoorBoardTimingSchema>;

export const DEFAULT_DOOR_BOARD_TIMING: DoorBoardTiming = DoorBoardTimingSchema.parse({});

/** The gateway config's `sources.doorBoard` section. */
export const DoorBoardSourceSchema = z
  .object({
    port: z.string().min(1),
    /** StandardFirmata's line speed. */
    baudRate: z.number().int().positive().default(57_600),
    mapping: DoorBoardMappingSchema,
    timing: DoorBoardTimingSchema.prefault({}),
  })
  .strict();

export type DoorBoardSourceConfig = z.infer<typeof DoorBoardSourceSchema>;
