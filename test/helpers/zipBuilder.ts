/**
 * Builds zip files byte by byte, including what no zip writer would produce (entries sharing one
 * data stream, lying sizes, huge entry counts), to test the bundle reader's limits.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntry {
  name: string;
  data: Uint8Array;
  /** Deflate (8) or store (0); default deflate. */
  method?: 0 | 8;
  /** Override the declared uncompressed size (a lie). */
  declaredSize?: number;
}

interface Written {
  name: Buffer;
  method: number;
  crc: number;
  compressed: number;
  size: number;
  offset: number;
}

function local(w: Written): Buffer {
  const h = Buffer.alloc(30);
  h.writeUInt32LE(0x04034b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(0x800, 6);
  h.writeUInt16LE(w.method, 8);
  h.writeUInt32LE(w.crc, 14);
  h.writeUInt32LE(w.compressed, 18);
  h.writeUInt32LE(w.size, 22);
  h.writeUInt16LE(w.name.length, 26);
  return Buffer.concat([h, w.name]);
}

function central(w: Written): Buffer {
  const h = Buffer.alloc(46);
  h.writeUInt32LE(0x02014b50, 0);
  h.writeUInt16LE(20, 4);
  h.writeUInt16LE(20, 6);
  h.writeUInt16LE(0x800, 8);
  h.writeUInt16LE(w.method, 10);
  h.writeUInt32LE(w.crc, 16);
  h.writeUInt32LE(w.compressed, 20);
  h.writeUInt32LE(w.size, 24);
  h.writeUInt16LE(w.name.length, 28);
  h.writeUInt32LE(w.offset, 42);
  return Buffer.concat([h, w.name]);
}

function end(count: number, cdSize: number, cdOffset: number): Buffer {
  const e = Buffer.alloc(22);
  e.writeUInt32LE(0x06054b50, 0);
  e.writeUInt16LE(Math.min(count, 0xffff), 8);
  e.writeUInt16LE(Math.min(count, 0xffff), 10);
  e.writeUInt32LE(cdSize, 12);
  e.writeUInt32LE(cdOffset, 16);
  return e;
}

/** A well-formed zip of `entries` (sizes may be declared falsely). */
export function buildZip(entries: ZipEntry[]): Buffer {
  const parts: Buffer[] = [];
  const written: Written[] = [];
  let at = 0;
  for (const e of entries) {
    const method = e.method ?? 8;
    const body = method === 8 ? deflateRawSync(e.data) : Buffer.from(e.data);
    const w: Written = {
      name: Buffer.from(e.name, 'utf8'),
      method,
      crc: crc32(e.data) >>> 0,
      compressed: body.length,
      size: e.declaredSize ?? e.data.length,
      offset: at,
    };
    const head = local(w);
    parts.push(head, body);
    written.push(w);
    at += head.length + body.length;
  }
  const cd = Buffer.concat(written.map(central));
  return Buffer.concat([...parts, cd, end(written.length, cd.length, at)]);
}

/**
 * The zip CPU bomb: one deflate stream and `count` directory entries that all point at it, each
 * declaring a tiny size so that declared totals look harmless.
 */
export function sharedStreamZip(count: number, streamBytes: number): Buffer {
  const data = new Uint8Array(streamBytes);
  const body = deflateRawSync(data);
  const first: Written = {
    name: Buffer.from('models/1/weights.bin'),
    method: 8,
    crc: crc32(data) >>> 0,
    compressed: body.length,
    size: 1,
    offset: 0,
  };
  const head = local(first);
  const cds: Buffer[] = [];
  for (let i = 0; i < count; i++) cds.push(central({ ...first, name: Buffer.from(`models/1/w${i}.bin`) }));
  const cd = Buffer.concat(cds);
  const dataEnd = head.length + body.length;
  return Buffer.concat([head, body, cd, end(count, cd.length, dataEnd)]);
}

/** A zip whose end record claims `count` entries (more than 16 bits hold are capped at 0xffff). */
export function claimedCountZip(count: number): Buffer {
  return end(count, 0, 0);
}
