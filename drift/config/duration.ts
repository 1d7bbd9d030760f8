// Durations in the drift config are written the way operators say them: "6h", "59m", "1h30m", "90s".

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** A duration string's length in milliseconds, or undefined when it is not of the form `1h30m`, `59m`, `90s`. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === "" || (m[1] === undefined && m[2] === undefined && m[3] === undefined)) return undefined;
  const [h, min, s] = [m[1], m[2], m[3]].map((v) => (v === undefined ? 0 : Number(v)));
  return ((h! * 60 + min!) * 60 + s!) * 1000;
}

/** "6h", "59m", "1h30m": the shortest exact rendering of a duration in milliseconds (whole seconds). */
export function formatDuration(ms: number): string {
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  const out = `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
  return out === "" ? "0s" : out;
}

export const DURATION_PATTERN = "^(\\d+h)?(\\d+m)?(\\d+s)?$";
