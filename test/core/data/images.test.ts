import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { CoreError } from '../../../src/core/errors.js';
import { decodeImage, imageBytes, imageSpec, pixelsToSpec, resize, taps } from '../../../src/core/data/images.js';
import { RESIZE_FILTERS } from '../../../src/core/data/types.js';
import { decodePng } from '../../../src/core/data/png.js';

const SIZE = 12;
/** A 12x12 RGBA test card: red/green gradients, a blue square, alpha fading left to right. */
function card(): Buffer {
  const px = Buffer.alloc(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const i = (y * SIZE + x) * 4;
      px[i] = x * 20;
      px[i + 1] = y * 20;
      px[i + 2] = x > 3 && x < 8 && y > 3 && y < 8 ? 255 : 0;
      px[i + 3] = 255 - x * 10;
    }
  }
  return px;
}
/** A gray PNG at 1 or 2 bits per pixel (Omniglot's format), which sharp does not write. */
function grayPng(depth: 1 | 2): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(SIZE, 0);
  ihdr.writeUInt32BE(SIZE, 4);
  ihdr[8] = depth; // colour type 0 (gray), no interlace
  const stride = Math.ceil((SIZE * depth) / 8);
  const rows = Buffer.alloc(SIZE * (stride + 1));
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const value = (x + y) % (1 << depth);
      const bit = x * depth;
      rows[y * (stride + 1) + 1 + (bit >> 3)] |= value << (8 - depth - (bit & 7));
    }
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

const raw = { raw: { width: SIZE, height: SIZE, channels: 4 as const } };

/** PNG variants the fast decoder must read as libpng (via sharp) does, with the channels it should report. */
const variants = {
  rgba8: [4, () => sharp(card(), raw).png().toBuffer()],
  rgb8: [3, () => sharp(card(), raw).removeAlpha().png().toBuffer()],
  gray8: [1, () => sharp(card(), raw).removeAlpha().toColourspace('b-w').png().toBuffer()],
  grayAlpha8: [2, () => sharp(card(), raw).toColourspace('b-w').png().toBuffer()],
  palette8: [3, () => sharp(card(), raw).removeAlpha().png({ palette: true, colours: 200 }).toBuffer()],
  paletteAlpha: [4, () => sharp(card(), raw).png({ palette: true, colours: 16 }).toBuffer()],
  palette1bit: [3, () => sharp(card(), raw).removeAlpha().png({ palette: true, colours: 2 }).toBuffer()],
  rgb16: [3, () => sharp(card(), raw).removeAlpha().toColourspace('rgb16').png().toBuffer()],
  gray16: [1, () => sharp(card(), raw).removeAlpha().toColourspace('grey16').png().toBuffer()],
  gray1bit: [1, async () => grayPng(1)],
  gray2bit: [1, async () => grayPng(2)],
} satisfies Record<string, [number, () => Promise<Buffer>]>;

for (const [name, [channels, make]] of Object.entries(variants)) {
  test(`fast PNG decoder matches libpng: ${name}`, async () => {
    const png = await make();
    const fast = decodePng(png);
    assert.ok(fast, 'fast path should take this PNG');
    assert.deepEqual([fast.width, fast.height, fast.channels], [SIZE, SIZE, channels]);
    // sharp may hand gray back as RGB, so compare what the model sees: RGB floats.
    const { data, info } = await sharp(png).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const spec = { height: SIZE, width: SIZE, channels: 3 };
    const ours = pixelsToSpec(fast, spec);
    const libpng = pixelsToSpec({ width: info.width, height: info.height, channels: info.channels, data }, spec);
    const worst = ours.reduce((m, v, i) => Math.max(m, Math.abs(v - libpng[i])), 0);
    assert.ok(worst <= 1.01 / 255, `max difference ${worst}`); // 16 -> 8 bit rounding may differ by one
  });
}

test('interlaced PNGs and other formats go to sharp and decode the same', async () => {
  const plain = await sharp(card(), raw).removeAlpha().png().toBuffer();
  const interlaced = await sharp(card(), raw).removeAlpha().png({ progressive: true }).toBuffer();
  assert.equal(decodePng(interlaced), null);
  const spec = { height: SIZE, width: SIZE, channels: 3 };
  assert.deepEqual(await decodeImage(interlaced, spec), await decodeImage(plain, spec));
  const jpeg = await sharp(card(), raw).removeAlpha().jpeg({ quality: 100, chromaSubsampling: '4:4:4' }).toBuffer();
  const fromJpeg = await decodeImage(jpeg, spec);
  const fromPng = await decodeImage(plain, spec);
  const meanError = fromJpeg.reduce((s, v, i) => s + Math.abs(v - fromPng[i]), 0) / fromPng.length;
  assert.ok(meanError < 0.02, `JPEG vs PNG mean error ${meanError}`);
});

test('values are [0,1] floats, h*w*c, transparent pixels over white, gray by luma', async () => {
  const png = await sharp(card(), raw).png().toBuffer();
  const rgb = await decodeImage(png, { height: SIZE, width: SIZE, channels: 3 });
  assert.equal(rgb.length, SIZE * SIZE * 3);
  assert.ok(rgb.every((v) => v >= 0 && v <= 1));
  // Pixel (0, 0): black, opaque -> 0. Pixel (0, 11): red 220 at alpha 145/255.
  assert.deepEqual([...rgb.subarray(0, 3)], [0, 0, 0]);
  const a = 145 / 255;
  assert.ok(Math.abs(rgb[11 * 3] - ((220 / 255) * a + 1 - a)) < 1e-6);
  assert.ok(Math.abs(rgb[11 * 3 + 2] - (1 - a)) < 1e-6);
  const gray = await decodeImage(png, { height: SIZE, width: SIZE, channels: 1 });
  assert.ok(Math.abs(gray[11] - (0.299 * rgb[33] + 0.587 * rgb[34] + 0.114 * rgb[35])) < 1e-6);
  const inverted = await decodeImage(png, { height: SIZE, width: SIZE, channels: 1, invert: true });
  assert.ok(inverted.every((v, i) => Math.abs(v - (1 - gray[i])) < 1e-6));
});

test('resizing keeps flat images flat and averages when shrinking', async () => {
  const flat = await sharp({ create: { width: 105, height: 70, channels: 3, background: { r: 51, g: 102, b: 153 } } }).png().toBuffer();
  const small = await decodeImage(flat, { height: 28, width: 28, channels: 3 });
  assert.equal(small.length, 28 * 28 * 3);
  assert.ok(small.every((v, i) => Math.abs(v - [0.2, 0.4, 0.6][i % 3]) < 1e-5));
  const big = await decodeImage(flat, { height: 200, width: 300, channels: 1 });
  assert.equal(big.length, 200 * 300);
  // A one-pixel checkerboard shrunk 4x is mid-gray everywhere: antialiased, not aliased.
  const checker = Buffer.from(Array.from({ length: 64 * 64 }, (_, i) => ((i % 64) + Math.floor(i / 64)) % 2 ? 255 : 0));
  const board = await sharp(checker, { raw: { width: 64, height: 64, channels: 1 } }).png().toBuffer();
  const shrunk = await decodeImage(board, { height: 16, width: 16, channels: 1 });
  assert.ok(shrunk.every((v) => Math.abs(v - 0.5) < 0.05));
});

test('Lanczos-3 taps: hand-computed weights when enlarging, normalised at every size', () => {
  // 2 -> 4, output 0: centre 0.25 in input coordinates, taps at 0.5 and 1.5, i.e. L(-0.25) and L(-1.25)
  // with L(x) = sinc(x) sinc(x/3): 0.890072 and -0.132872, normalised by their sum 0.757200.
  const up = taps(2, 4, 'lanczos');
  assert.deepEqual([up.first[0], up.count[0]], [0, 2]);
  assert.ok(Math.abs(up.weights[0] - 1.175478) < 1e-5, `w0 ${up.weights[0]}`);
  assert.ok(Math.abs(up.weights[1] + 0.175478) < 1e-5, `w1 ${up.weights[1]}`);
  for (const filter of RESIZE_FILTERS) {
    for (const [inSize, outSize] of [[105, 28], [28, 105], [7, 3], [3, 7], [64, 16]]) {
      const t = taps(inSize, outSize, filter);
      for (let o = 0; o < outSize; o++) {
        const sum = t.weights.subarray(o * t.stride, o * t.stride + t.count[o]).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(sum - 1) < 1e-5, `${filter} ${inSize}->${outSize} output ${o} sums to ${sum}`);
      }
    }
  }
});

test("Lanczos resize matches Pillow's LANCZOS (105 -> 28), keeps flat images flat and clips its ringing to [0, 1]", () => {
  // A 3-pixel vertical stroke at columns 50..52 and a horizontal one at rows 20..22, as
  // Image.fromarray(a).resize((28, 28), Image.LANCZOS) returns it (Pillow, uint8): first row, first column.
  const a = new Float32Array(105 * 105);
  for (let y = 0; y < 105; y++) for (let x = 0; x < 105; x++) if ((x >= 50 && x < 53) || (y >= 20 && y < 23)) a[y * 105 + x] = 1;
  const out = resize(a, 105, 105, 28, 28, 1, 'lanczos');
  const pillowRow = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 171, 57, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  const pillowColumn = [0, 0, 0, 3, 0, 171, 57, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  assert.deepEqual(Array.from(out.subarray(0, 28), (v) => Math.round(v * 255)), pillowRow);
  assert.deepEqual(Array.from({ length: 28 }, (_, y) => Math.round(out[y * 28] * 255)), pillowColumn);
  assert.ok(out.every((v) => v >= 0 && v <= 1), 'ringing is clipped');
  // Bilinear blurs the same stroke wider and flatter.
  const bilinear = resize(a, 105, 105, 28, 28, 1, 'bilinear');
  assert.ok(Math.max(...bilinear.subarray(0, 28)) < Math.max(...out.subarray(0, 28)));
  const flat = new Float32Array(105 * 70 * 3).map((_, i) => [0.2, 0.4, 0.6][i % 3]);
  for (const [h, w] of [[28, 28], [200, 300]]) {
    assert.ok(resize(flat, 70, 105, h, w, 3, 'lanczos').every((v, i) => Math.abs(v - [0.2, 0.4, 0.6][i % 3]) < 1e-5));
  }
});

test("the spec's filter decides how images are resized; no filter means bilinear", async () => {
  const png = await sharp(card(), raw).png().toBuffer();
  const spec = { height: 5, width: 5, channels: 1 };
  const implicit = await decodeImage(png, spec);
  assert.deepEqual(implicit, await decodeImage(png, { ...spec, resize: 'bilinear' }));
  assert.notDeepEqual(implicit, await decodeImage(png, { ...spec, resize: 'lanczos' }));
  // New specs leave bilinear implicit, so they are byte-identical to those made before the field.
  assert.deepEqual(imageSpec({ resize: 'bilinear' }), { height: 28, width: 28, channels: 1 });
  assert.deepEqual(imageSpec({ resize: 'lanczos', invert: true }), { height: 28, width: 28, channels: 1, invert: true, resize: 'lanczos' });
});

test('base64 strings and data URLs decode like the buffer', async () => {
  const png = await variants.rgb8[1]();
  const spec = { height: 8, width: 8, channels: 1 };
  const expected = await decodeImage(png, spec);
  assert.deepEqual(await decodeImage(png.toString('base64'), spec), expected);
  assert.deepEqual(await decodeImage(`data:image/png;base64,${png.toString('base64')}`, spec), expected);
  assert.deepEqual(imageBytes(png), png);
});

test('undecodable input is invalid_data with the reason', async () => {
  const spec = { height: 8, width: 8, channels: 1 };
  const isInvalid = (pattern: RegExp) => (error: unknown) =>
    error instanceof CoreError && error.code === 'invalid_data' && pattern.test(error.message);
  await assert.rejects(decodeImage(Buffer.from('definitely not an image'), spec), isInvalid(/cannot decode image/));
  await assert.rejects(decodeImage(Buffer.alloc(0), spec), isInvalid(/empty/));
  const png = await variants.rgb8[1]();
  await assert.rejects(decodeImage(png.subarray(0, 60), spec), isInvalid(/PNG/));
  await assert.rejects(decodeImage('data:image/png,rawbytes', spec), isInvalid(/base64/));
  await assert.rejects(decodeImage('not base64 at all!', spec), isInvalid(/base64/));
});
