/**
 * Finding repeated tokens in a file of any size with flat memory and no per-row database work.
 *
 * While the file is read, each row that passed the rules is reduced to a fixed-size entry (a
 * 64-bit hash of its token, hashes of its owner and of its normalised content, its line and the
 * token's last 6 characters) and appended to one of {@link PARTITIONS} temporary files chosen by
 * the token hash. Every repeat of a token lands in the same partition, so once the read is over
 * each partition is loaded on its own and its repeats found with an in-memory map. Memory holds
 * the write buffers and one partition (1/128 of the file's entries, 32 bytes each); no token is
 * written to disk whole.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hashParts } from "./hash";

/** How the temporary entries are spread: a power of two, chosen by the top bits of the hash. */
export const PARTITIONS = 128;
const PARTITION_SHIFT = 25; // 32 - log2(PARTITIONS)

// one entry: key high, key low, line, owner hash, row hash high, row hash low, last six (2 words)
const WORDS = 8;
const BYTES = WORDS * 4;
// entries buffered per partition before a write: 128 partitions x 1,024 x 32 bytes = 4 MiB
const BUFFERED = 1024;

/** A repeat of an earlier row's token with other values. */
export interface Conflict {
  readonly line: number;
  /** The earlier line that has the token. */
  readonly otherLine: number;
  /** Both rows name the same external_id (or none): the rest of the row differs. */
  readonly sameOwner: boolean;
  /** The token's last 6 characters, for the report. */
  readonly lastSix: string;
}

/** What a finished search found. */
export interface Repeats {
  /** Lines that repeat an earlier row's token (duplicates and conflicts), ascending. */
  readonly lines: Uint32Array;
  /** Repeats identical to the earlier row: collapsed into it. */
  readonly duplicates: number;
}

/** Collects entries during a read, then finds the repeats among them. */
export class RepeatFinder {
  private readonly dir: string;
  private readonly fds: number[] = [];
  private readonly buffers: Uint32Array[] = [];
  private readonly fill: number[] = [];
  private readonly written: number[] = [];
  private closed = false;

  /** @param parent where the temporary folder goes; @default - the system's temp folder */
  constructor(parent: string = tmpdir()) {
    this.dir = mkdtempSync(join(parent, "braze-push-migrate-repeats-"));
    for (let p = 0; p < PARTITIONS; p++) {
      this.fds.push(openSync(join(this.dir, String(p)), "w+"));
      this.buffers.push(new Uint32Array(BUFFERED * WORDS));
      this.fill.push(0);
      this.written.push(0);
    }
  }

  /**
   * Records a row that passed the rules. Rows must come in file order.
   *
   * @param owner the row's external_id, or "" for none
   * @param normalised the row's normalised content: equal content means a duplicate
   */
  add(token: string, owner: string, normalised: string, line: number): void {
    const [hi, lo] = hashParts(token);
    const [rowHi, rowLo] = hashParts(normalised);
    const p = hi >>> PARTITION_SHIFT;
    const buffer = this.buffers[p];
    const at = this.fill[p] * WORDS;
    buffer[at] = hi;
    buffer[at + 1] = lo;
    buffer[at + 2] = line;
    buffer[at + 3] = hashParts(owner)[0];
    buffer[at + 4] = rowHi;
    buffer[at + 5] = rowLo;
    const [six1, six2] = packLastSix(token);
    buffer[at + 6] = six1;
    buffer[at + 7] = six2;
    if (++this.fill[p] === BUFFERED) this.writeOut(p);
  }

  /**
   * Finds the repeats: the first row of each token stands, every later row with that token is a
   * duplicate (same normalised content) or a conflict (reported through `onConflict`).
   *
   * Two different tokens share a 64-bit hash with a chance of about 1 in 1.4 million in a file of
   * 5,000,000; such a pair would be reported as a conflict, never collapsed silently, since a
   * duplicate also needs equal row hashes.
   */
  finish(onConflict: (conflict: Conflict) => void): Repeats {
    const lines = new GrowingLines();
    let duplicates = 0;
    let table = new Int32Array(0);
    for (let p = 0; p < PARTITIONS; p++) {
      if (this.fill[p] > 0) this.writeOut(p);
      const entries = this.load(p);
      const count = entries.length / WORDS;
      // the first entry of each token: an open-addressing table of entry numbers + 1 (0 is
      // empty), probed linearly from the key's low bits; reused from one partition to the next
      const size = tableSize(count);
      if (table.length < size) table = new Int32Array(size);
      else table.fill(0, 0, size);
      const mask = size - 1;
      for (let i = 0; i < count; i++) {
        const at = i * WORDS;
        const hi = entries[at];
        const lo = entries[at + 1];
        let slot = lo & mask;
        let earlier = -1;
        for (;;) {
          const held = table[slot];
          if (held === 0) {
            table[slot] = i + 1;
            break;
          }
          const other = (held - 1) * WORDS;
          if (entries[other] === hi && entries[other + 1] === lo) {
            earlier = other;
            break;
          }
          slot = (slot + 1) & mask;
        }
        if (earlier === -1) continue;

        lines.push(entries[at + 2]);
        if (entries[earlier + 4] === entries[at + 4] && entries[earlier + 5] === entries[at + 5]) {
          duplicates++;
        } else {
          onConflict({
            line: entries[at + 2],
            otherLine: entries[earlier + 2],
            sameOwner: entries[earlier + 3] === entries[at + 3],
            lastSix: unpackLastSix(entries[at + 6], entries[at + 7]),
          });
        }
      }
    }
    return { lines: lines.sorted(), duplicates };
  }

  /** Deletes the temporary files. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const fd of this.fds) closeSync(fd);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private writeOut(p: number): void {
    const bytes = this.fill[p] * BYTES;
    const view = new Uint8Array(this.buffers[p].buffer, 0, bytes);
    for (let done = 0; done < bytes;) {
      done += writeSync(this.fds[p], view, done, bytes - done, this.written[p] + done);
    }
    this.written[p] += bytes;
    this.fill[p] = 0;
  }

  private load(p: number): Uint32Array {
    const fd = this.fds[p];
    const size = this.written[p];
    const entries = new Uint32Array(size / 4);
    const view = new Uint8Array(entries.buffer);
    for (let done = 0; done < size;) {
      const read = readSync(fd, view, done, size - done, done);
      if (read === 0) throw new Error(`temporary repeat file ${p} ended early`);
      done += read;
    }
    return entries;
  }
}

// a power of two at least twice the entries, so probes stay short
function tableSize(entries: number): number {
  let size = 1024;
  while (size < entries * 2) size *= 2;
  return size;
}

/** Sorted lines that a read skips, looked up in ascending order with a moving cursor. */
export class LineCursor {
  private at = 0;

  constructor(private readonly lines: Uint32Array) {}

  /** Whether `line` is one of the lines; calls must come with ascending lines. */
  has(line: number): boolean {
    while (this.at < this.lines.length && this.lines[this.at] < line) this.at++;
    return this.at < this.lines.length && this.lines[this.at] === line;
  }
}

// the last 6 characters in two 32-bit words: a length byte, then one byte a character (a token
// that passed the rules is ASCII)
function packLastSix(token: string): [number, number] {
  const six = token.slice(-6);
  let a = six.length;
  let b = 0;
  for (let i = 0; i < six.length; i++) {
    const code = six.charCodeAt(i) & 0xff;
    if (i < 3) a |= code << (8 * (i + 1));
    else b |= code << (8 * (i - 3));
  }
  return [a >>> 0, b >>> 0];
}

function unpackLastSix(a: number, b: number): string {
  const length = a & 0xff;
  let out = "";
  for (let i = 0; i < length; i++) {
    out += String.fromCharCode(i < 3 ? (a >>> (8 * (i + 1))) & 0xff : (b >>> (8 * (i - 3))) & 0xff);
  }
  return `…${out}`;
}

/** An append-only list of line numbers in a typed array that doubles as it fills. */
class GrowingLines {
  private lines = new Uint32Array(1024);
  private length = 0;

  push(line: number): void {
    if (this.length === this.lines.length) {
      const bigger = new Uint32Array(this.lines.length * 2);
      bigger.set(this.lines);
      this.lines = bigger;
    }
    this.lines[this.length++] = line;
  }

  sorted(): Uint32Array {
    return this.lines.slice(0, this.length).sort();
  }
}
