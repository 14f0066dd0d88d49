// Reads tiles from a PMTiles archive with the pmtiles package (the reader
// MapLibre pages use) and prints them for tiles/export_test.go: the
// header and metadata first, then one line per requested tile with its
// bytes as the package returns them (decompressed), base64-encoded.
//
// usage: node read-tiles.mjs ARCHIVE < tiles.txt   (one "z/x/y" a line)
import { open } from "node:fs/promises";
import { PMTiles } from "pmtiles";

class NodeFileSource {
  constructor(path, handle) {
    this.path = path;
    this.handle = handle;
  }
  getKey() {
    return this.path;
  }
  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(buf, 0, length, offset);
    const data = buf.buffer.slice(buf.byteOffset, buf.byteOffset + bytesRead);
    return { data };
  }
}

const path = process.argv[2];
const handle = await open(path, "r");
const archive = new PMTiles(new NodeFileSource(path, handle));
const header = await archive.getHeader();
const metadata = await archive.getMetadata();
process.stdout.write(JSON.stringify({ header, metadata }) + "\n");

let input = "";
for await (const chunk of process.stdin) input += chunk;
for (const line of input.split("\n")) {
  if (!line.trim()) continue;
  const [z, x, y] = line.split("/").map(Number);
  const r = await archive.getZxy(z, x, y);
  const data = r ? Buffer.from(r.data).toString("base64") : null;
  process.stdout.write(JSON.stringify({ z, x, y, data }) + "\n");
}
await handle.close();
