// What a failed AWS call becomes in a ScanError: the SDK's error name as the code, the first line of its
// message, and how many attempts it took. Shared by the EKS scan and the IAM reads.
import type { ScanError } from "../model";

/** The error of a failed call (a body that is not the protocol's JSON: MalformedResponse). */
export function scanError(err: unknown): ScanError {
  const e = err as { name?: string; code?: string; message?: string; $metadata?: { attempts?: number } } | undefined;
  // The SDK appends a hint about `$response` to deserialization errors: the first line is the error.
  const first = (e?.message || String(err)).split("\n")[0]!.trim();
  const attempts = e?.$metadata?.attempts !== undefined && e.$metadata.attempts > 1 ? `; ${e.$metadata.attempts} attempts` : "";
  if (e?.name === "SyntaxError") return { code: "MalformedResponse", message: `the response body is not valid JSON (${first})${attempts}` };
  const code = e?.name && e.name !== "Error" ? e.name : (e?.code ?? "Error");
  return { code, message: `${first}${attempts}` };
}
