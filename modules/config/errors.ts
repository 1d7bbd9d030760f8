// The one error the config loader throws: every problem of a file, or the one reason it could not be read.

/** Every problem found in a config file. Its message names the file and lists them all, one per line. */
export class ConfigError extends Error {
  /** A file that cannot be read or parsed at all: one line, `<file>: <problem>`. */
  public static ofFile(file: string, problem: string): ConfigError {
    return new ConfigError(file, [problem], `${file}: ${problem}`);
  }

  public constructor(
    public readonly file: string,
    public readonly problems: readonly string[],
    message = `${file}: ${problems.length} problem${problems.length === 1 ? "" : "s"}:\n${problems.map((p) => `  ${p}`).join("\n")}`,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}
