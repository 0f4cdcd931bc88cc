/**
 * Every source of one vehicle, wired to the gateway's sink through the one pseudonymiser: the
 * vehicle bus (IBIS), the camera counter, and the radio presence source. The same object runs on
 * the vehicle (streams from serial ports, opened and reopened by `superviseStream`) and on the
 * bench at device depth (streams from the emulators), so both meet exactly the same code.
 *
 * Must never: open a port itself (the caller hands in streams), or keep a raw identifier: the camera
 * binding pseudonymises track ids as it parses a line, the radio source (gateway/sources) each
 * address the moment it is heard, both through the one `Pseudonymise` function handed out here;
 * staff numbers are dropped by the IBIS reader.
 */
import type { Readable } from 'node:stream';
import type { Clock, TimerHandle } from '../../common/clock.js';
import { moduleLogger } from '../../common/log.js';
import { CameraCounter } from '../../firmware-bindings/camera/camera-counter.js';
import { IbisTripAdapter } from '../../firmware-bindings/ibis/ibis-trip-adapter.js';
import { Pseudonymiser } from '../privacy/pseudonymiser.js';
import type { Pseudonymise } from '../../contracts/pseudonymise.js';
import type { EventSink } from '../../contracts/source-events.js';
import { DEFAULT_RADIO_SOURCE, RadioSource, type RadioSourceOptions } from './radio-source.js';

const log = moduleLogger('gateway.sources');

export interface VehicleSourcesOptions {
  timeZone: string;
  /** Local hour at which the pseudonymisation key is replaced (default 3). */
  keyRotationHour?: number;
  radio?: RadioSourceOptions;
  cameraOfflineMs?: number;
  ibisSilenceMs?: number;
}

export class VehicleSources {
  readonly pseudonymiser: Pseudonymiser;
  readonly radio: RadioSource;
  /** The one pseudonymising function every source gets (the key stays inside the pseudonymiser). */
  private readonly pseudonymise: Pseudonymise;
  private ibis: IbisTripAdapter | undefined;
  private camera: CameraCounter | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly sink: EventSink,
    private readonly options: VehicleSourcesOptions,
  ) {
    this.pseudonymiser = new Pseudonymiser(clock, {
      timeZone: options.timeZone,
      ...(options.keyRotationHour !== undefined ? { rotateAtHour: options.keyRotationHour } : {}),
    });
    const pseudonymiser = this.pseudonymiser;
    this.pseudonymise = (kind, raw) => pseudonymiser.pseudonymise(kind, raw);
    this.radio = new RadioSource(clock, sink, this.pseudonymise, options.radio ?? DEFAULT_RADIO_SOURCE);
  }

  /** Reads the vehicle bus from a stream (a new stream replaces the old one). */
  attachIbis(stream: Readable): IbisTripAdapter {
    this.ibis?.close();
    this.ibis = new IbisTripAdapter(stream, this.clock, this.sink, {
      ...(this.options.ibisSilenceMs !== undefined ? { silenceMs: this.options.ibisSilenceMs } : {}),
    });
    return this.ibis;
  }

  /** Reads the camera counter from a stream (a new stream replaces the old one). */
  attachCamera(stream: Readable): CameraCounter {
    this.camera?.close();
    this.camera = new CameraCounter(stream, this.clock, this.sink, this.pseudonymise, {
      ...(this.options.cameraOfflineMs !== undefined ? { offlineMs: this.options.cameraOfflineMs } : {}),
    });
    return this.camera;
  }

  get ibisAdapter(): IbisTripAdapter | undefined {
    return this.ibis;
  }

  get cameraCounter(): CameraCounter | undefined {
    return this.camera;
  }

  /** Stops reading and forgets the key (a closed pseudonymiser refuses to work). */
  close(): void {
    this.ibis?.close();
    this.camera?.close();
    this.ibis = undefined;
    this.camera = undefined;
    this.pseudonymiser.close();
  }
}

export interface SuperviseOptions {
  /** First wait before reopening (default 1 s); doubles up to maxBackoffMs (default 60 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Keeps a device stream open: opens it, hands it to `attach`, and when it closes or fails to open,
 * waits (with back-off) and opens it again, until `signal` aborts. A serial adapter that is pulled
 * and plugged back in comes back on its own; the bindings report the gap as a sensor fault.
 */
export function superviseStream(
  name: string,
  clock: Clock,
  open: () => Promise<Readable>,
  attach: (stream: Readable) => void,
  signal: AbortSignal,
  options: SuperviseOptions = {},
): void {
  const first = options.backoffMs ?? 1000;
  const max = options.maxBackoffMs ?? 60_000;
  let wait = first;
  let current: Readable | undefined;
  let timer: TimerHandle | undefined;
  const retry = (): void => {
    if (signal.aborted) return;
    log.info({ source: name, inMs: wait }, 'reopening device');
    timer = clock.setTimeout(() => void attempt(), wait);
    wait = Math.min(max, wait * 2);
  };
  const attempt = async (): Promise<void> => {
    if (signal.aborted) return;
    let stream: Readable;
    try {
      stream = await open();
    } catch (error) {
      log.warn({ source: name, error: (error as Error).message }, 'cannot open device; check the cable and the port in the config');
      retry();
      return;
    }
    if (signal.aborted) {
      stream.destroy();
      return;
    }
    wait = first;
    current = stream;
    let gone = false;
    const onGone = (): void => {
      if (gone) return;
      gone = true;
      current = undefined;
      log.warn({ source: name }, 'device stream closed');
      retry();
    };
    stream.once('close', onGone);
    stream.once('end', onGone);
    stream.on('error', (error) => log.warn({ source: name, error: error.message }, 'device stream error'));
    attach(stream);
    log.info({ source: name }, 'device open');
  };
  signal.addEventListener(
    'abort',
    () => {
      clock.clearTimeout(timer);
      current?.destroy();
    },
    { once: true },
  );
  void attempt();
}
