/**
 * Which devices the backend listens to, and which of their reports it believes. With a fleet
 * inventory only the gateways fitted to a vehicle are admitted (the allowlist); without one, at most
 * `maxDevices` distinct devices, so that a flood of made-up DevEUIs cannot grow memory or tables.
 * Devices turned away are quarantined: counted, the most recent few listed for the operator, and
 * nothing of theirs is stored, acknowledged or published.
 *
 * Reports are checked against the vehicle type's design capacity (FIELD-FACTS "Fleet"): a load or
 * a count above `capacityFactor` times capacity is not believed. (A departure in the future cannot
 * be sent: the batch dates reports by their age at sending.)
 */
import type { StopReport } from '../../proto/frames.js';

export interface FleetVehicle {
  vehicleId: string;
  /** Vehicle type id (vehicle-types.yaml), e.g. MGT-K1. */
  type: string;
}

export interface TrustOptions {
  /** DevEUI (lower case) -> vehicle: when given, only these devices are admitted. */
  fleet?: ReadonlyMap<string, FleetVehicle>;
  /** Without a fleet: at most this many distinct devices are admitted (HAVAG has about 160 trams). */
  maxDevices?: number;
  /** Vehicle type id -> design capacity (seats + standing). */
  capacities?: ReadonlyMap<string, number>;
  /** A load or count above this many times the capacity is refused. */
  capacityFactor?: number;
  /** Quarantined DevEUIs listed (the most recent), for the operator. */
  quarantineListed?: number;
}

export type RejectReason =
  | 'unknown-device'
  | 'device-limit'
  | 'fcnt-replay'
  | 'fcnt-conflict'
  | 'fcnt-jump'
  | 'seq-out-of-window'
  | 'seq-conflict'
  | 'implausible-load'
  | 'implausible-count';

export const REJECT_REASONS: readonly RejectReason[] = [
  'unknown-device', 'device-limit', 'fcnt-replay', 'fcnt-conflict', 'fcnt-jump', 'seq-out-of-window', 'seq-conflict', 'implausible-load', 'implausible-count',
];

export interface QuarantinedDevice {
  devEui: string;
  messages: number;
  lastAt: number;
}

export class DeviceTrust {
  private readonly admitted = new Set<string>();
  /** Insertion order = least recently heard first (re-inserted on each message). */
  private readonly quarantined = new Map<string, QuarantinedDevice>();
  private readonly maxDevices: number;
  private readonly capacityFactor: number;
  private readonly listed: number;
  private readonly largestCapacity: number;
  readonly rejected = Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
  /** Messages of devices not admitted, all told. */
  quarantinedMessages = 0;

  constructor(private readonly options: TrustOptions = {}) {
    this.maxDevices = options.maxDevices ?? 1000;
    this.capacityFactor = options.capacityFactor ?? 2;
    this.listed = options.quarantineListed ?? 100;
    this.largestCapacity = Math.max(0, ...(options.capacities?.values() ?? []));
  }

  /** May this device's messages be processed? If not, it is quarantined and counted. */
  admit(devEui: string, at: number): boolean {
    if (this.admitted.has(devEui)) return true;
    const fleet = this.options.fleet;
    const reason: RejectReason | undefined = fleet ? (fleet.has(devEui) ? undefined : 'unknown-device') : this.admitted.size < this.maxDevices ? undefined : 'device-limit';
    if (!reason) {
      this.admitted.add(devEui);
      return true;
    }
    this.rejected[reason]++;
    this.quarantinedMessages++;
    const q = this.quarantined.get(devEui) ?? { devEui, messages: 0, lastAt: at };
    q.messages++;
    q.lastAt = at;
    this.quarantined.delete(devEui);
    this.quarantined.set(devEui, q);
    if (this.quarantined.size > this.listed) this.quarantined.delete(this.quarantined.keys().next().value!);
    return false;
  }

  /** Would this device be admitted (without admitting it)? With an inventory: is it listed; without: any device may be, while there is room. */
  accepts(devEui: string): boolean {
    const fleet = this.options.fleet;
    return fleet ? fleet.has(devEui) : this.admitted.has(devEui) || this.admitted.size < this.maxDevices;
  }

  /** The vehicle behind a device, where the inventory knows it. */
  vehicle(devEui: string): FleetVehicle | undefined {
    return this.options.fleet?.get(devEui);
  }

  /** Devices admitted so far (bounded by the fleet or maxDevices). */
  get admittedCount(): number {
    return this.admitted.size;
  }

  /** The most recently heard quarantined devices, newest first. */
  quarantine(): QuarantinedDevice[] {
    return [...this.quarantined.values()].reverse().map((q) => ({ ...q }));
  }

  /** Why a report cannot be believed, or undefined if it can. Counts the reason. */
  implausible(devEui: string, report: StopReport): RejectReason | undefined {
    const type = this.options.fleet?.get(devEui)?.type;
    const capacity = (type !== undefined ? this.options.capacities?.get(type) : undefined) ?? this.largestCapacity;
    let reason: RejectReason | undefined;
    if (capacity > 0 && report.load > this.capacityFactor * capacity) reason = 'implausible-load';
    else if (capacity > 0 && (report.boardings > this.capacityFactor * capacity || report.alightings > this.capacityFactor * capacity)) reason = 'implausible-count';
    if (reason) this.rejected[reason]++;
    return reason;
  }

  count(reason: RejectReason): void {
    this.rejected[reason]++;
  }
}
