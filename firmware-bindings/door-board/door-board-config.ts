/**
 * The door board's configuration, validated once with zod: the timing of debouncing and fault rules
 * and the gateway config's `sources.doorBoard` section. The pin mapping itself is a vehicle type's
 * (contracts/door-board-mapping.ts).
 */
import { z } from 'zod';
import { DoorBoardMappingSchema } from '../../contracts/door-board-mapping.js';

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

