import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { tar, tarGz, zip, type ArchiveEntry } from '@falaj/testing';
import { extractArchive, type ArchiveLimits } from './archive-reader';
import { ImportsError } from './imports.exception';

const LIMITS: ArchiveLimits = { maxEntries: 20, maxBytes: 1024 * 1024 };
const MLFLOW_DIR: ArchiveEntry[] = [
  { name: 'model/', type: 'dir' },
  { name: 'model/MLmodel', data: 'flavors:\n  onnx:\n    data: model.onnx\n' },
  { name: 'model/model.onnx', data: Buffer.alloc(3000, 7) },
  { name: 'model/conda.yaml', data: 'name: mlflow-env\n' },
];

describe('extractArchive', () => {
  let work: string;
  let into: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'falaj-archive-spec-'));
    into = join(work, 'out');
  });
  afterEach(() => rmSync(work, { recursive: true, force: true }));

  const archive = (bytes: Buffer): string => {
    const file = join(work, 'archive');
    writeFileSync(file, bytes);
    return file;
  };
  const extract = async (bytes: Buffer, limits = LIMITS) => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(into);
    return extractArchive(archive(bytes), into, limits);
  };
  const refusal = async (bytes: Buffer, limits = LIMITS): Promise<ImportsError> => {
    const error = await extract(bytes, limits).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ImportsError);
    return error as ImportsError;
  };
  /** Every path under `into`, and nothing anywhere else in the work folder but the archive. */
  const written = () => {
    expect(readdirSync(work).sort()).toEqual(['archive', 'out']);
    return (readdirSync(into, { recursive: true }) as string[]).sort();
  };

  it.each([
    ['tar.gz', tarGz],
    ['tar', tar],
    ['zip', zip],
  ] as const)('extracts an MLflow directory from a %s', async (format, pack) => {
    await expect(extract(pack(MLFLOW_DIR))).resolves.toEqual({ format, files: 3, bytes: 3000 + Buffer.byteLength(String(MLFLOW_DIR[1].data)) + Buffer.byteLength(String(MLFLOW_DIR[3].data)) });
    expect(written()).toEqual(['model', 'model/MLmodel', 'model/conda.yaml', 'model/model.onnx']);
    expect(readFileSync(join(into, 'model/model.onnx'))).toEqual(Buffer.alloc(3000, 7));
  });

  it.each([['gnu'], ['posix']])('extracts what GNU tar --format=%s writes, long names included', async (format) => {
    const source = join(work, 'src');
    const long = `${'d'.repeat(120)}/${'f'.repeat(110)}.py`;
    mkdirSync(join(source, 'model', 'd'.repeat(120)), { recursive: true });
    writeFileSync(join(source, 'model', 'MLmodel'), 'flavors:\n  onnx:\n    data: model.onnx\n');
    writeFileSync(join(source, 'model', long), 'print(1)\n');
    const packed = join(work, 'packed.tgz');
    execFileSync('tar', [`--format=${format}`, '-czf', packed, '-C', source, 'model']);
    const bytes = readFileSync(packed);
    rmSync(source, { recursive: true });
    rmSync(packed);
    await expect(extract(bytes)).resolves.toEqual({ format: 'tar.gz', files: 2, bytes: Buffer.byteLength('flavors:\n  onnx:\n    data: model.onnx\n') + 9 });
    expect(readFileSync(join(into, 'model', long), 'utf8')).toBe('print(1)\n');
  });

  it('reads PAX long names in a tar', async () => {
    const deep = `${'d'.repeat(60)}/${'e'.repeat(60)}/model.onnx`;
    await extract(tarGz([{ name: deep, data: 'x' }]));
    expect(readFileSync(join(into, deep), 'utf8')).toBe('x');
  });

  describe.each([
    ['tar.gz', tarGz],
    ['zip', zip],
  ] as const)('%s', (_format, pack) => {
    it.each([
      ['../evil.sh', "the path leaves the model directory ('..')"],
      ['model/../../evil.sh', "the path leaves the model directory ('..')"],
      ['/etc/cron.d/evil', 'the path is absolute'],
      ['C:/evil.bat', 'the path starts with a drive letter'],
      ['..\\evil.bat', 'the path contains a backslash'],
    ])('refuses the zip-slip entry %s and writes nothing outside', async (name, reason) => {
      const error = await refusal(
        pack([
          { name: 'MLmodel', data: 'x' },
          { name, data: 'pwned' },
        ]),
      );
      expect(error.status).toBe(400);
      expect(error.message).toContain(reason);
      expect(written()).toEqual(['MLmodel']);
    });

    it('refuses a symlink entry (a link out of the folder, written next)', async () => {
      const error = await refusal(pack([{ name: 'model.onnx', type: 'symlink', target: '/etc/passwd' }]));
      expect(error.message).toBe("invalid archive: entry 'model.onnx' is a link: only files and folders are imported");
      expect(written()).toEqual([]);
    });

    it('refuses an entry that appears twice', async () => {
      expect(
        (
          await refusal(
            pack([
              { name: 'a', data: '1' },
              { name: './a', data: '2' },
            ]),
          )
        ).message,
      ).toContain("entry './a' appears twice");
    });

    it('refuses past the entry limit', async () => {
      const many = Array.from({ length: 21 }, (_, i) => ({ name: `f${i}`, data: 'x' }));
      expect((await refusal(pack(many))).message).toBe('invalid archive: more than 20 entries');
    });

    it('refuses past the extracted size (413)', async () => {
      const error = await refusal(pack([{ name: 'big', data: Buffer.alloc(2 * 1024 * 1024) }]));
      expect(error.status).toBe(413);
      expect(error.message).toContain('its extracted size exceeds the limit of 1048576');
    });
  });

  it('stops a zip bomb whose header lies about its size as it inflates', async () => {
    const bomb = zip([{ name: 'model.onnx', data: Buffer.alloc(50 * 1024 * 1024), claimedSize: 1000 }]);
    expect(bomb.length).toBeLessThan(100 * 1024);
    const error = await refusal(bomb, { maxEntries: 20, maxBytes: 100 * 1024 * 1024 });
    expect(error.message).toBe("invalid archive: entry 'model.onnx' inflates past the 1000 bytes its header says");
  });

  it('refuses a zip entry whose CRC-32 is wrong', async () => {
    const bytes = zip([{ name: 'model.onnx', data: 'abc' }]);
    bytes.writeUInt32LE(0xdeadbeef, 30 + 'model.onnx'.length + deflatedLength('abc') + 16);
    expect((await refusal(bytes)).message).toBe("invalid archive: entry 'model.onnx' fails its CRC-32 check");
  });

  it('stops reading at the end-of-archive blocks: a gzip of zeros after them is never counted', async () => {
    const zeros = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    await expect(extract(Buffer.concat([tarGz([{ name: 'MLmodel', data: 'x' }]), zeros]))).resolves.toEqual({ format: 'tar.gz', files: 1, bytes: 1 });
    rmSync(into, { recursive: true });
    await expect(extract(zeros)).resolves.toEqual({ format: 'tar.gz', files: 0, bytes: 0 });
  });

  it('refuses what is not an archive, a corrupt gzip, a tar header with a bad checksum and a truncated tar', async () => {
    expect((await refusal(readFileSync(join(__dirname, '../../../../models/tiny-mlp.onnx')))).message).toBe('invalid archive: not a .tar.gz, .tar or .zip archive');
    rmSync(into, { recursive: true });
    const gz = tarGz(MLFLOW_DIR);
    expect((await refusal(gz.subarray(0, gz.length - 100))).message).toMatch(/not a valid gzip stream|ends inside an entry/);
    rmSync(into, { recursive: true });
    const broken = tar(MLFLOW_DIR);
    broken[600] ^= 0xff;
    expect((await refusal(gzipSync(broken))).message).toContain("a tar header's checksum is wrong");
    rmSync(into, { recursive: true });
    expect(await refusal(gzipSync(tar(MLFLOW_DIR).subarray(0, 2048)))).toBeInstanceOf(ImportsError);
  });
});

function deflatedLength(text: string): number {
  return deflateRawSync(Buffer.from(text)).length;
}
