/**
 * A LoRaWAN network-server emulator, faithful where the gateway can tell: it answers OTAA joins
 * (JoinAccept with lora-packet, session keys from the AppKey, DevNonce replay refused), verifies the
 * MIC of every uplink, refuses replayed frame counters, de-duplicates receptions, decrypts, and
 * publishes uplink events; queued downlinks go out in the next RX1 window. What it publishes goes
 * through `publish`, so the same emulator feeds an MQTT broker or an in-process backend.
 */
import type { Clock } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import type { Rng } from '../../common/random.js';
import { JOIN_ACCEPT_DELAY1_MS, RECEIVE_DELAY1_MS } from '../../contracts/lora-region-eu868.js';
import type { DownlinkFrame, NetworkServerPort, Reception } from './air.js';
import { hexBytes } from './keys.js';
import { lora } from './lora-packet.js';
import { fcntMsb, reconstructFCnt } from './mac-device.js';
import type { NsDownlinkSent, NsJoin, NsUplink } from './uplink-event.js';

const log = moduleLogger('sim.network-server');

export interface NsDeviceRegistration {
  devEui: string;
  joinEui: string;
  appKey: string;
  name: string;
}

interface NsSession {
  devAddr: Buffer;
  nwkSKey: Buffer;
  appSKey: Buffer;
  /** Highest FCntUp accepted; -1 before the first. */
  fCntUp: number;
  fCntDown: number;
}

interface NsDevice extends NsDeviceRegistration {
  session?: NsSession;
  usedDevNonces: Set<string>;
  queue: QueuedDownlink[];
  ackPending: boolean;
}

export interface QueuedDownlink {
  fPort: number;
  payload: Buffer;
  confirmed: boolean;
}

export interface NetworkServerOptions {
  applicationId: string;
  applicationName: string;
  tenantId: string;
  netId: string;
  publish: (uplink: NsUplink) => void;
  /** A queued downlink went out (ChirpStack publishes `event/txack` then). */
  downlinkSent?: (event: NsDownlinkSent) => void;
  /** A device joined: its JoinAccept is a downlink too (ChirpStack publishes `event/join`). */
  joined?: (event: NsJoin) => void;
}

export interface NetworkServerStats {
  joins: number;
  uplinks: number;
  duplicates: number;
  micFailures: number;
  replays: number;
  unknownDevices: number;
  downlinks: number;
}

export class NetworkServerEmulator implements NetworkServerPort {
  private readonly devices = new Map<string, NsDevice>();
  private readonly byDevAddr = new Map<string, NsDevice>();
  private nextDevAddr: number;
  readonly stats: NetworkServerStats = { joins: 0, uplinks: 0, duplicates: 0, micFailures: 0, replays: 0, unknownDevices: 0, downlinks: 0 };

  constructor(
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly options: NetworkServerOptions,
  ) {
    this.nextDevAddr = 0x26010000 + rng.int(0, 0xfff);
  }

  register(device: NsDeviceRegistration): void {
    hexBytes(device.appKey, 16, 'AppKey');
    this.devices.set(device.devEui.toLowerCase(), { ...device, devEui: device.devEui.toLowerCase(), usedDevNonces: new Set(), queue: [], ackPending: false });
  }

  /** A downlink for the device's next receive window (ChirpStack's device queue). */
  enqueueDownlink(devEui: string, downlink: QueuedDownlink): boolean {
    const device = this.devices.get(devEui.toLowerCase());
    if (!device) return false;
    device.queue.push(downlink);
    return true;
  }

  /** Drops what is queued for the device (The Things Stack's `down/replace`). */
  clearQueue(devEui: string): void {
    const device = this.devices.get(devEui.toLowerCase());
    if (device) device.queue.length = 0;
  }

  queueLength(devEui: string): number {
    return this.devices.get(devEui.toLowerCase())?.queue.length ?? 0;
  }

  /** The DevEUI of a registered device by its name (The Things Stack addresses devices by id). */
  devEuiOf(name: string): string | undefined {
    for (const d of this.devices.values()) if (d.name === name) return d.devEui;
    return undefined;
  }

  receiveUplink(rx: Reception): DownlinkFrame | undefined {
    let packet;
    try {
      packet = lora.fromWire(rx.phy);
    } catch {
      this.stats.micFailures++;
      return undefined;
    }
    if (packet.isJoinRequestMessage()) return this.onJoinRequest(packet, rx);
    if (packet.isDataMessage() && packet.getDir() === 'up') return this.onDataUp(packet, rx);
    return undefined;
  }

  private onJoinRequest(packet: ReturnType<typeof lora.fromWire>, rx: Reception): DownlinkFrame | undefined {
    const devEui = packet.DevEUI?.toString('hex') ?? '';
    const device = this.devices.get(devEui);
    if (!device) {
      this.stats.unknownDevices++;
      return undefined;
    }
    const appKey = hexBytes(device.appKey, 16, 'AppKey');
    if (!lora.verifyMIC(packet, undefined, appKey)) {
      this.stats.micFailures++;
      log.warn({ device: device.name }, 'join request with a bad MIC');
      return undefined;
    }
    const devNonce = packet.DevNonce!;
    if (device.usedDevNonces.has(devNonce.toString('hex'))) {
      this.stats.replays++;
      return undefined;
    }
    device.usedDevNonces.add(devNonce.toString('hex'));
    const appNonce = Buffer.from([this.rng.int(0, 255), this.rng.int(0, 255), this.rng.int(0, 255)]);
    const netId = hexBytes(this.options.netId, 3, 'NetID');
    const devAddr = Buffer.alloc(4);
    devAddr.writeUInt32BE(this.nextDevAddr++ >>> 0);
    const keys = lora.generateSessionKeys(appKey, netId, appNonce, devNonce);
    if (device.session) this.byDevAddr.delete(device.session.devAddr.toString('hex'));
    device.session = { devAddr, nwkSKey: keys.NwkSKey, appSKey: keys.AppSKey, fCntUp: -1, fCntDown: 0 };
    this.byDevAddr.set(devAddr.toString('hex'), device);
    this.stats.joins++;
    this.options.joined?.({
      devEui: device.devEui,
      devAddr: devAddr.toString('hex'),
      deviceName: device.name,
      applicationId: this.options.applicationId,
      applicationName: this.options.applicationName,
      tenantId: this.options.tenantId,
      time: this.clock.now(),
      deduplicationId: uuidFrom(this.rng),
    });
    const accept = lora.fromFields(
      { MType: 'Join Accept', AppNonce: appNonce, NetID: netId, DevAddr: devAddr, DLSettings: 0, RxDelay: 1 },
      undefined,
      undefined,
      appKey,
    );
    return { phy: accept.getPHYPayload()!, at: rx.start + rx.toaMs + JOIN_ACCEPT_DELAY1_MS, window: 'RX1', dr: rx.dr };
  }

  private onDataUp(packet: ReturnType<typeof lora.fromWire>, rx: Reception): DownlinkFrame | undefined {
    const device = this.byDevAddr.get(packet.DevAddr?.toString('hex') ?? '');
    const session = device?.session;
    if (!device || !session) {
      this.stats.unknownDevices++;
      return undefined;
    }
    const fCnt = reconstructFCnt(session.fCntUp + 1, packet.getFCnt() ?? 0);
    if (!lora.verifyMIC(packet, session.nwkSKey, undefined, fcntMsb(fCnt))) {
      this.stats.micFailures++;
      log.warn({ device: device.name }, 'uplink with a bad MIC dropped');
      return undefined;
    }
    if (fCnt <= session.fCntUp) {
      // Same frame heard again (another gateway, or a retransmission): not a new uplink.
      this.stats.duplicates++;
      return undefined;
    }
    session.fCntUp = fCnt;
    this.stats.uplinks++;
    const confirmed = packet.isConfirmed();
    const fPort = packet.getFPort() ?? 0;
    const payload = packet.FRMPayload && packet.FRMPayload.length > 0 ? lora.decrypt(packet, session.appSKey, session.nwkSKey, fcntMsb(fCnt)) : Buffer.alloc(0);
    if (fPort > 0) {
      this.options.publish({
        devEui: device.devEui,
        devAddr: session.devAddr.toString('hex'),
        deviceName: device.name,
        applicationId: this.options.applicationId,
        applicationName: this.options.applicationName,
        tenantId: this.options.tenantId,
        fCnt,
        fPort,
        payload,
        confirmed,
        adr: packet.getFCtrlADR() ?? false,
        dr: rx.dr,
        frequencyHz: rx.frequencyHz,
        time: this.clock.now(),
        rssi: rx.rssi,
        snr: rx.snr,
        gatewayId: rx.gatewayId,
        deduplicationId: uuidFrom(this.rng),
      });
    }
    const next = device.queue.shift();
    if (!next && !confirmed) return undefined;
    const frame = lora.fromFields(
      {
        MType: next?.confirmed ? 'Confirmed Data Down' : 'Unconfirmed Data Down',
        DevAddr: session.devAddr,
        FCtrl: { ADR: false, ACK: confirmed, ADRACKReq: false, FPending: device.queue.length > 0 },
        FCnt: session.fCntDown & 0xffff,
        ...(next ? { FPort: next.fPort, payload: next.payload } : { payload: Buffer.alloc(0) }),
      },
      session.appSKey,
      session.nwkSKey,
      undefined,
      fcntMsb(session.fCntDown),
    );
    // lora-packet signs only frames with an FPort; an ACK without payload needs its MIC too.
    if (!next) lora.recalculateMIC(frame, session.nwkSKey, undefined, fcntMsb(session.fCntDown));
    if (next) {
      this.options.downlinkSent?.({
        devEui: device.devEui,
        deviceName: device.name,
        applicationId: this.options.applicationId,
        applicationName: this.options.applicationName,
        tenantId: this.options.tenantId,
        fPort: next.fPort,
        fCntDown: session.fCntDown,
        payload: next.payload,
        time: this.clock.now(),
        gatewayId: rx.gatewayId,
        frequencyHz: rx.frequencyHz,
        queueItemId: uuidFrom(this.rng),
      });
    }
    session.fCntDown++;
    this.stats.downlinks++;
    return { phy: frame.getPHYPayload()!, at: rx.start + rx.toaMs + RECEIVE_DELAY1_MS, window: 'RX1', dr: rx.dr };
  }
}

function uuidFrom(rng: Rng): string {
  const hex = Array.from({ length: 16 }, () => rng.int(0, 255).toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
