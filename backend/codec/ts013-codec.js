// HAVAG tram occupancy: LoRa Alliance TS013 payload codec, schema havag.occupancy.v1.
// Generated from proto/occupancy.proto and proto/ts013-runtime.js by proto/generate.ts:
// do not edit; run `npm run proto`. ES5.1, no require: paste it into ChirpStack v4
// (device profile, codec "JavaScript functions") or The Things Stack v3 (payload formatters,
// "Custom Javascript formatter"). docs/delivery.md tells how.
var SCHEMA = {
  "recursionLimit": 100,
  "fPorts": {"live":1,"stopBatch":2,"health":3,"ack":10,"config":11},
  "constants": {"timeUnitMs":5000,"maxBatchReports":256,"terminusFlag":1},
  "messages": {
    "Live": [
      {"id":1,"name":"seq","type":"uint32","repeated":false,"presence":false},
      {"id":2,"name":"stop","type":"uint32","repeated":false,"presence":false},
      {"id":3,"name":"level","type":"enum","repeated":false,"presence":false},
      {"id":4,"name":"occupancyTenths","type":"uint32","repeated":false,"presence":false},
      {"id":5,"name":"line","type":"uint32","repeated":false,"presence":false}
    ],
    "StopBatch": [
      {"id":1,"name":"firstSeq","type":"uint32","repeated":false,"presence":false},
      {"id":2,"name":"age","type":"uint32","repeated":false,"presence":false},
      {"id":3,"name":"columns","type":"uint32","repeated":true,"presence":false},
      {"id":4,"name":"firstStop","type":"uint32","repeated":false,"presence":false},
      {"id":5,"name":"stopAt","type":"uint32","repeated":true,"presence":false},
      {"id":6,"name":"loadFix","type":"sint32","repeated":true,"presence":false},
      {"id":7,"name":"firstLoadBase","type":"uint32","repeated":false,"presence":false},
      {"id":8,"name":"trips","type":"uint32","repeated":true,"presence":false},
      {"id":9,"name":"flagsAt","type":"uint32","repeated":true,"presence":false},
      {"id":10,"name":"seqGapAt","type":"uint32","repeated":true,"presence":false},
      {"id":11,"name":"loadFixAt","type":"sint32","repeated":true,"presence":false},
      {"id":12,"name":"outboxEpoch","type":"uint32","repeated":false,"presence":false}
    ],
    "Health": [
      {"id":1,"name":"uptimeMin","type":"uint32","repeated":false,"presence":false},
      {"id":2,"name":"outboxDepth","type":"uint32","repeated":false,"presence":false},
      {"id":3,"name":"oldestPendingSeq","type":"uint32","repeated":false,"presence":false},
      {"id":4,"name":"sensorFaults","type":"uint32","repeated":false,"presence":false},
      {"id":5,"name":"airtimeTodayMs","type":"uint32","repeated":false,"presence":false},
      {"id":6,"name":"modelVersion","type":"uint32","repeated":false,"presence":false},
      {"id":7,"name":"softwareVersion","type":"uint32","repeated":false,"presence":false},
      {"id":8,"name":"restarts","type":"uint32","repeated":false,"presence":false},
      {"id":9,"name":"outboxDropped","type":"uint32","repeated":false,"presence":false},
      {"id":10,"name":"liveSkipped","type":"uint32","repeated":false,"presence":false},
      {"id":11,"name":"newestSeq","type":"uint32","repeated":false,"presence":false},
      {"id":12,"name":"outboxEpoch","type":"uint32","repeated":false,"presence":false},
      {"id":13,"name":"appendFailures","type":"uint32","repeated":false,"presence":false},
      {"id":14,"name":"reportsHeld","type":"uint32","repeated":false,"presence":false},
      {"id":15,"name":"estimatorMode","type":"enum","repeated":false,"presence":false},
      {"id":16,"name":"calibrationTrips","type":"uint32","repeated":false,"presence":false},
      {"id":17,"name":"inOutPermilleOff","type":"sint32","repeated":false,"presence":false},
      {"id":18,"name":"cameraScalePermilleOff","type":"sint32","repeated":false,"presence":false},
      {"id":19,"name":"worstDoorPermilleOff","type":"sint32","repeated":false,"presence":false},
      {"id":20,"name":"worstDoor","type":"uint32","repeated":false,"presence":false},
      {"id":21,"name":"guardModelErrorTenths","type":"uint32","repeated":false,"presence":false},
      {"id":22,"name":"guardSumErrorTenths","type":"uint32","repeated":false,"presence":false}
    ],
    "Ack": [
      {"id":1,"name":"through","type":"uint32","repeated":false,"presence":false},
      {"id":2,"name":"runs","type":"uint32","repeated":true,"presence":false}
    ],
    "ConfigChange": [
      {"id":1,"name":"dailyAirtimeMs","type":"uint32","repeated":false,"presence":true},
      {"id":2,"name":"healthIntervalMin","type":"uint32","repeated":false,"presence":true},
      {"id":3,"name":"liveEnabled","type":"bool","repeated":false,"presence":true},
      {"id":4,"name":"maxBatch","type":"uint32","repeated":false,"presence":true}
    ]
  }
};

// The runtime of the standalone TS013 payload codec. proto/generate.ts puts the SCHEMA table
// (generated from occupancy.proto) in front of this file and writes the result to
// backend/codec/ts013-codec.js. ES5.1 only (The Things Stack; ChirpStack runs QuickJS): no
// let/const, arrow functions, typed arrays, Map or require. It reads the protobuf wire format by
// hand, driven by SCHEMA, with the same rules as protobufjs (what frames.ts uses), and expands
// stop batches with the same column rules as proto/stop-batch.ts; test/backend/codec holds them
// together. It never throws to its caller: bad input comes back as `errors`.

function has(object, key) {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function CodecError(message) {
  this.message = message;
}

function fail(message) {
  throw new CodecError(message);
}

function outOfRange(r) {
  fail('index out of range at byte ' + r.pos);
}

// Varints as protobufjs reads them: the low 32 bits of at most 10 bytes.
function readUint32(r) {
  var value = 0;
  var i;
  var b;
  for (i = 0; i < 10; i++) {
    if (r.pos >= r.len) outOfRange(r);
    b = r.buf[r.pos++];
    if (i < 4) value = (value | ((b & 127) << (i * 7))) >>> 0;
    else if (i === 4) value = (value | ((b & 15) << 28)) >>> 0;
    if (b < 128) return value;
  }
  fail('invalid varint encoding');
}

function readTag(r) {
  var value = 0;
  var i;
  var b;
  for (i = 0; i < 4; i++) {
    if (r.pos >= r.len) outOfRange(r);
    b = r.buf[r.pos++];
    value = (value | ((b & 127) << (i * 7))) >>> 0;
    if (b < 128) return value;
  }
  if (r.pos >= r.len) outOfRange(r);
  b = r.buf[r.pos++];
  if (b < 128 && (b & 112) === 0) return (value | ((b & 15) << 28)) >>> 0;
  fail('invalid tag encoding');
}

function readSize(r) {
  var value = 0;
  var i;
  var b;
  for (i = 0; i < 4; i++) {
    if (r.pos >= r.len) outOfRange(r);
    b = r.buf[r.pos++];
    value = (value | ((b & 127) << (i * 7))) >>> 0;
    if (b < 128) return value;
  }
  if (r.pos >= r.len) outOfRange(r);
  b = r.buf[r.pos++];
  if (b > 7) fail('invalid length encoding');
  return (value | (b << 28)) >>> 0;
}

function readBool(r) {
  var value = false;
  var i;
  var b;
  for (i = 0; i < 10; i++) {
    if (r.pos >= r.len) outOfRange(r);
    b = r.buf[r.pos++];
    if (b & 127) value = true;
    if (b < 128) return value;
  }
  fail('invalid varint encoding');
}

function skipBytes(r, n) {
  if (r.pos + n > r.len) outOfRange(r);
  r.pos += n;
}

function skipType(r, wireType, depth, fieldNumber) {
  var tag;
  var nested;
  if (depth > SCHEMA.recursionLimit) fail('max depth exceeded');
  if (fieldNumber === 0) fail('illegal tag: field number 0');
  if (wireType === 0) {
    do {
      if (r.pos >= r.len) outOfRange(r);
    } while (r.buf[r.pos++] & 128);
  } else if (wireType === 1) skipBytes(r, 8);
  else if (wireType === 2) skipBytes(r, readSize(r));
  else if (wireType === 3) {
    for (;;) {
      tag = readTag(r);
      nested = tag >>> 3;
      if (!nested) fail('illegal tag: field number 0');
      if ((tag & 7) === 4) {
        if (nested !== fieldNumber) fail('invalid end group tag');
        break;
      }
      skipType(r, tag & 7, depth + 1, nested);
    }
  } else if (wireType === 5) skipBytes(r, 4);
  else fail('invalid wire type ' + wireType + ' at offset ' + r.pos);
}

function readScalar(r, type) {
  var v;
  if (type === 'bool') return readBool(r);
  v = readUint32(r);
  if (type === 'sint32') return (v >>> 1) ^ -(v & 1);
  if (type === 'int32' || type === 'enum') return v | 0;
  return v;
}

function fieldById(spec, id) {
  var i;
  for (i = 0; i < spec.length; i++) if (spec[i].id === id) return spec[i];
  return null;
}

// One message, as protobufjs's decoder and toObject give it (defaults for absent fields unless
// `presentOnly`).
function decodeMessage(name, bytes, presentOnly) {
  var spec = SCHEMA.messages[name];
  var r = { buf: bytes, pos: 0, len: bytes.length };
  var m = {};
  var tag;
  var id;
  var wire;
  var field;
  var end;
  var outer;
  var v;
  var i;
  while (r.pos < r.len) {
    tag = readTag(r);
    wire = tag & 7;
    id = tag >>> 3;
    field = fieldById(spec, id);
    if (field && field.repeated) {
      if (!has(m, field.name)) m[field.name] = [];
      if (wire === 2) {
        end = readSize(r) + r.pos;
        if (end > r.len) outOfRange(r);
        outer = r.len;
        r.len = end;
        while (r.pos < end) m[field.name].push(readScalar(r, field.type));
        r.len = outer;
        continue;
      }
      if (wire === 0) {
        m[field.name].push(readScalar(r, field.type));
        continue;
      }
    } else if (field && wire === 0) {
      v = readScalar(r, field.type);
      if (field.presence || v) m[field.name] = v;
      else delete m[field.name];
      continue;
    }
    skipType(r, wire, 0, id);
  }
  for (i = 0; i < spec.length; i++) {
    field = spec[i];
    if (field.repeated && has(m, field.name) && m[field.name].length === 0) delete m[field.name];
    if (presentOnly || field.presence || has(m, field.name)) continue;
    m[field.name] = field.repeated ? [] : field.type === 'bool' ? false : 0;
  }
  return m;
}

function batchError(fPort, what) {
  fail('fPort ' + fPort + ': ' + what);
}

function sparsePairs(values, n, minIndex, what, fPort) {
  var map = {};
  var k;
  var index;
  if (values.length % 2 !== 0) batchError(fPort, what + ' has an odd length');
  for (k = 0; k < values.length; k += 2) {
    index = values[k];
    if (index < minIndex || index >= n) batchError(fPort, what + ' points outside the batch');
    if (has(map, String(index))) batchError(fPort, what + ' names report ' + index + ' twice');
    map[String(index)] = values[k + 1];
  }
  return map;
}

function pairValue(map, i, otherwise) {
  return has(map, String(i)) ? map[String(i)] : otherwise;
}

// proto/stop-batch.ts fromStopBatch, rule for rule.
function expandStopBatch(b, recvTime, fPort) {
  var c = SCHEMA.constants;
  var n;
  var sparseFix;
  var stopAt;
  var flagsAt;
  var gapAt;
  var trips = [];
  var departures = [];
  var reports = [];
  var k;
  var i;
  var unit;
  var seq;
  var stop;
  var flags = 0;
  var load = 0;
  var trip = 0;
  var tripStarts;
  var t;
  var boardings;
  var alightings;
  var fix;
  var base;
  if (b.columns.length === 0) batchError(fPort, 'no reports');
  if ((b.columns.length + 1) % 3 !== 0) batchError(fPort, 'columns has ' + b.columns.length + ' entries, not 3n - 1');
  n = (b.columns.length + 1) / 3;
  if (n > c.maxBatchReports) batchError(fPort, 'claims ' + n + ' reports, more than ' + c.maxBatchReports);
  if (b.loadFix.length > 0 && b.loadFixAt.length > 0) batchError(fPort, 'carries load_fix both dense and sparse');
  if (b.loadFix.length > 0 && b.loadFix.length !== n) batchError(fPort, 'load_fix has ' + b.loadFix.length + ' entries, not ' + n);
  sparseFix = sparsePairs(b.loadFixAt, n, 0, 'load_fix_at', fPort);
  stopAt = sparsePairs(b.stopAt, n, 1, 'stop_at', fPort);
  flagsAt = sparsePairs(b.flagsAt, n, 0, 'flags_at', fPort);
  gapAt = sparsePairs(b.seqGapAt, n, 1, 'seq_gap_at', fPort);
  if (b.trips.length % 4 !== 0) batchError(fPort, 'trips is not a list of quadruples');
  for (k = 0; k < b.trips.length; k += 4) {
    if (b.trips[k] >= n || (trips.length > 0 && b.trips[k] <= trips[trips.length - 1][0])) batchError(fPort, 'trips out of order');
    trips.push(b.trips.slice(k, k + 4));
  }
  unit = Math.floor(recvTime / c.timeUnitMs) - b.age;
  for (i = n - 1; i >= 0; i--) {
    if (i < n - 1) unit -= b.columns[i];
    departures[i] = unit * c.timeUnitMs;
  }
  if (departures[0] < 0) batchError(fPort, 'departs before 1970');
  seq = b.firstSeq;
  stop = b.firstStop;
  for (i = 0; i < n; i++) {
    if (i > 0) {
      seq += 1 + pairValue(gapAt, i, 0);
      stop = pairValue(stopAt, i, flags & c.terminusFlag ? 2 : stop + 1);
    }
    tripStarts = trip < trips.length && trips[trip][0] === i;
    if (tripStarts) trip++;
    t = trip > 0 ? trips[trip - 1] : [0, 0, 0, 0];
    flags = (pairValue(flagsAt, i, 0) ^ (i >= 1 && tripStarts ? c.terminusFlag : 0)) >>> 0;
    boardings = b.columns[n - 1 + i];
    alightings = b.columns[2 * n - 1 + i];
    fix = (b.loadFix.length > 0 ? b.loadFix[i] : 0) + pairValue(sparseFix, i, 0);
    if (flags & c.terminusFlag) base = boardings;
    else base = (i === 0 ? b.firstLoadBase : load) + boardings - alightings;
    load = base + fix;
    if (load < 0 || load > 4294967295 || seq > 4294967295 || stop > 4294967295) batchError(fPort, 'decodes to an impossible report');
    reports.push({
      seq: seq,
      departure: new Date(departures[i]).toISOString(),
      stop: stop,
      line: t[1],
      course: t[2],
      destination: t[3],
      boardings: boardings,
      alightings: alightings,
      load: load,
      flags: flags
    });
  }
  return reports;
}

function toByteArray(bytes) {
  var out = [];
  var i;
  if (!bytes || typeof bytes.length !== 'number') fail('bytes must be an array of bytes');
  for (i = 0; i < bytes.length; i++) {
    if (typeof bytes[i] !== 'number' || bytes[i] < 0 || bytes[i] > 255 || Math.floor(bytes[i]) !== bytes[i]) fail('bytes must be an array of bytes');
    out.push(bytes[i]);
  }
  return out;
}

function timeOf(recvTime, warnings) {
  var t;
  if (recvTime && typeof recvTime.getTime === 'function') t = recvTime.getTime();
  else if (typeof recvTime === 'string') t = Date.parse(recvTime);
  else if (typeof recvTime === 'number') t = recvTime;
  if (typeof t === 'number' && isFinite(t)) return t;
  warnings.push('no recvTime: departure times are relative to the decoder\'s clock');
  return new Date().getTime();
}

function withKind(kind, message) {
  var out = { kind: kind };
  var key;
  for (key in message) if (has(message, key)) out[key] = message[key];
  return out;
}

function decodeUplink(input) {
  var warnings = [];
  var bytes;
  var fPort;
  var data;
  try {
    bytes = toByteArray(input.bytes);
    fPort = input.fPort;
    if (fPort === SCHEMA.fPorts.live) data = withKind('live', decodeMessage('Live', bytes, false));
    else if (fPort === SCHEMA.fPorts.stopBatch) {
      var batch = decodeMessage('StopBatch', bytes, false);
      data = { kind: 'stopBatch', outboxEpoch: batch.outboxEpoch || 0, reports: expandStopBatch(batch, timeOf(input.recvTime, warnings), fPort) };
    } else if (fPort === SCHEMA.fPorts.health) data = withKind('health', decodeMessage('Health', bytes, false));
    else fail('fPort ' + fPort + ' carries no uplink message of schema v1');
  } catch (e) {
    if (e instanceof CodecError) return { errors: [e.message], warnings: warnings };
    return { errors: ['decoder failure: ' + String(e && e.message)], warnings: warnings };
  }
  return { data: data, warnings: warnings };
}

function decodeDownlink(input) {
  var bytes;
  try {
    bytes = toByteArray(input.bytes);
    if (input.fPort === SCHEMA.fPorts.ack) return { data: withKind('ack', decodeMessage('Ack', bytes, false)), warnings: [] };
    if (input.fPort === SCHEMA.fPorts.config) return { data: withKind('config', decodeMessage('ConfigChange', bytes, true)), warnings: [] };
    fail('fPort ' + input.fPort + ' carries no downlink message of schema v1');
  } catch (e) {
    if (e instanceof CodecError) return { errors: [e.message], warnings: [] };
    return { errors: ['decoder failure: ' + String(e && e.message)], warnings: [] };
  }
}

function writeVarint(out, value) {
  var v = value >>> 0;
  while (v > 127) {
    out.push((v & 127) | 128);
    v = v >>> 7;
  }
  out.push(v);
}

function checkedValue(field, value) {
  if (field.type === 'bool') {
    if (typeof value !== 'boolean') fail(field.name + ' must be true or false');
    return value ? 1 : 0;
  }
  if (typeof value !== 'number' || Math.floor(value) !== value || value < 0 || value > 4294967295) {
    fail(field.name + ' must be an unsigned 32-bit integer');
  }
  return value;
}

// Encodes an object by the schema, fields in number order, as protobufjs does.
function encodeMessage(name, data) {
  var spec = SCHEMA.messages[name].slice().sort(function (a, b) {
    return a.id - b.id;
  });
  var out = [];
  var packed;
  var field;
  var value;
  var i;
  var k;
  var key;
  for (key in data) {
    if (has(data, key) && key !== 'kind' && !hasField(spec, key)) fail(name + ' has no field ' + key);
  }
  for (i = 0; i < spec.length; i++) {
    field = spec[i];
    value = data[field.name];
    if (value === undefined || value === null) continue;
    if (field.repeated) {
      if (Object.prototype.toString.call(value) !== '[object Array]') fail(field.name + ' must be a list');
      if (value.length === 0) continue;
      packed = [];
      for (k = 0; k < value.length; k++) writeVarint(packed, checkedValue(field, value[k]));
      writeVarint(out, (field.id << 3) | 2);
      writeVarint(out, packed.length);
      for (k = 0; k < packed.length; k++) out.push(packed[k]);
    } else {
      value = checkedValue(field, value);
      if (value === 0 && !field.presence) continue;
      writeVarint(out, field.id << 3);
      writeVarint(out, value);
    }
  }
  return out;
}

function hasField(spec, key) {
  var i;
  for (i = 0; i < spec.length; i++) if (spec[i].name === key) return true;
  return false;
}

function encodeDownlink(input) {
  var data = input && input.data;
  try {
    if (!data || typeof data !== 'object') fail('data must be an object with a kind');
    if (data.kind === 'ack') return { bytes: encodeMessage('Ack', data), fPort: SCHEMA.fPorts.ack, warnings: [] };
    if (data.kind === 'config') return { bytes: encodeMessage('ConfigChange', data), fPort: SCHEMA.fPorts.config, warnings: [] };
    fail('kind must be "ack" or "config"');
  } catch (e) {
    if (e instanceof CodecError) return { errors: [e.message], warnings: [] };
    return { errors: ['encoder failure: ' + String(e && e.message)], warnings: [] };
  }
}
