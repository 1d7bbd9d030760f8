// Why a state source could not be read. Messages name the source and never quote state content (state
// files hold secrets).

export type StateErrorCode =
  | "StateNotFound"
  | "StateUnreadable"
  | "StateEmpty"
  | "StateCorrupt"
  | "StateVersionUnsupported"
  | "StateInvalid"
  | "NoStateFiles"
  | "InvalidStateSource"
  // S3 error codes are passed through as S3 names them.
  | "NoSuchKey"
  | "NoSuchBucket"
  | "AccessDenied"
  | (string & {});

export class StateReadError extends Error {
  override readonly name = "StateReadError";
  constructor(
    readonly code: StateErrorCode,
    message: string,
  ) {
    super(message);
  }
}
