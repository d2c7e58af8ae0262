// A minimal ZIP writer (stored entries, no compression: PNGs are compressed already).
// Format: PKWARE APPNOTE 6.3.x, local file headers + central directory + end record.
"use strict";
(function () {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  function crc32(bytes) {
    let crc = 0xffffffff;
    for (let i = 0; i < bytes.length; i++) crc = table[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01: entries carry no real time
  function header(size) { const buffer = new DataView(new ArrayBuffer(size)); return buffer; }

  // files: [{name, bytes: Uint8Array}] -> Blob (application/zip)
  function makeZip(files) {
    const encoder = new TextEncoder();
    const parts = [], central = [];
    let offset = 0;
    const used = new Set();
    for (const file of files) {
      let name = file.name, n = 1;
      while (used.has(name)) name = file.name.replace(/(\.[^.]*)?$/, (ext) => `-${n++}${ext || ""}`);
      used.add(name);
      const nameBytes = encoder.encode(name), crc = crc32(file.bytes), size = file.bytes.length;
      const local = header(30);
      local.setUint32(0, 0x04034b50, true); local.setUint16(4, 20, true); local.setUint16(6, 0x0800, true);
      local.setUint16(8, 0, true); local.setUint16(12, DOS_DATE, true); local.setUint32(14, crc, true); local.setUint32(18, size, true);
      local.setUint32(22, size, true); local.setUint16(26, nameBytes.length, true);
      parts.push(local.buffer, nameBytes, file.bytes);
      const entry = header(46);
      entry.setUint32(0, 0x02014b50, true); entry.setUint16(4, 20, true); entry.setUint16(6, 20, true);
      entry.setUint16(8, 0x0800, true); entry.setUint16(14, DOS_DATE, true); entry.setUint32(16, crc, true); entry.setUint32(20, size, true);
      entry.setUint32(24, size, true); entry.setUint16(28, nameBytes.length, true); entry.setUint32(42, offset, true);
      central.push(entry.buffer, nameBytes);
      offset += 30 + nameBytes.length + size;
    }
    const centralSize = central.reduce((sum, part) => sum + part.byteLength, 0);
    const end = header(22);
    end.setUint32(0, 0x06054b50, true); end.setUint16(8, files.length, true); end.setUint16(10, files.length, true);
    end.setUint32(12, centralSize, true); end.setUint32(16, offset, true);
    return new Blob([...parts, ...central, end.buffer], { type: "application/zip" });
  }
  window.makeZip = makeZip;
})();
