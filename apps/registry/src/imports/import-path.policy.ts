/** Path segments an archive entry or an MLmodel file reference may have at most. */
export const MAX_PATH_SEGMENTS = 32;
/** Characters of such a path at most. */
export const MAX_PATH_LENGTH = 1024;

/**
 * The problem with a path that must stay inside the model directory (an archive entry's name, an
 * MLmodel's `data` / `model_file`), or null when it is a plain relative path. Refused: absolute
 * paths, drive letters, backslashes, `..` segments, NUL and control characters, empty paths, and
 * paths past the length and depth limits. `.` segments and repeated slashes are harmless and
 * dropped by `normalisedPath`.
 */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return 'the path is empty';
  if (path.length > MAX_PATH_LENGTH) return `the path is longer than ${MAX_PATH_LENGTH} characters`;
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'the path contains a control character';
  if (path.includes('\\')) return 'the path contains a backslash';
  if (path.startsWith('/')) return 'the path is absolute';
  if (/^[a-zA-Z]:/.test(path)) return 'the path starts with a drive letter';
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.length === 0) return 'the path names no file';
  if (segments.includes('..')) return "the path leaves the model directory ('..')";
  if (segments.length > MAX_PATH_SEGMENTS) return `the path has more than ${MAX_PATH_SEGMENTS} segments`;
  return null;
}

/** The path without `.` segments, repeated or trailing slashes; call only when `pathProblem` is null. */
export function normalisedPath(path: string): string {
  return path
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/');
}
