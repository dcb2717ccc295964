// Which of a Redis Cluster's 16,384 hash slots a hash tag falls in: CRC16 (XMODEM: polynomial
// 0x1021, initial value 0, no reflection) of the tag's bytes, modulo 16,384, as the Cluster
// specification defines it. Used to pick queue names that land where we want them.

export const HASH_SLOTS = 16_384;

const CRC16_TABLE = Uint16Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
  return crc & 0xffff;
});

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc;
}

/** The slot of every key whose hash tag is `tag` (the text between the braces). */
export const slotOfTag = (tag: string): number => crc16(Buffer.from(tag, 'utf8')) % HASH_SLOTS;
