package dev.agentfactory.connectors.dataset.version;

/**
 * The one failure type of the dataset catalog. The {@link Code} tells the caller what to do: the
 * REST edge maps {@code not_found} to 404, {@code invalid_name} to 400, {@code conflict} to 409 and
 * {@code io_error} to 500. Messages name the dataset, version and file involved.
 */
public final class DatasetException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** What went wrong, with its wire name. */
  public enum Code {
    /** The dataset, version or file does not exist (or is not listed in the version). */
    NOT_FOUND("not_found", false),
    /** A dataset name is not a slug, or a file path is absolute or escapes the dataset. */
    INVALID_NAME("invalid_name", false),
    /**
     * Another cut published the same version number first (cutting again succeeds), or the
     * dataset's files disagree on their schema (not retriable).
     */
    CONFLICT("conflict", true),
    /** Reading or writing the file system failed, or a file is not readable Parquet. */
    IO_ERROR("io_error", true);

    private final String wireName;
    private final boolean retriable;

    Code(String wireName, boolean retriable) {
      this.wireName = wireName;
      this.retriable = retriable;
    }

    /** The snake_case name used in JSON error bodies. */
    public String wireName() {
      return wireName;
    }
  }

  /**
   * What a {@code not_found} or {@code invalid_name} is about, so the REST edge names the request's
   * field: the dataset, one of its versions, or a file of a version.
   */
  public enum Subject {
    DATASET,
    VERSION,
    FILE
  }

  private final Code code;
  private final boolean retriable;
  private final Subject subject;

  public DatasetException(Code code, String message) {
    this(code, message, null, code.retriable, null);
  }

  public DatasetException(Code code, String message, Throwable cause) {
    this(code, message, cause, code.retriable, null);
  }

  /** A failure about {@code subject} (e.g. a {@code not_found} version). */
  public DatasetException(Code code, Subject subject, String message) {
    this(code, message, null, code.retriable, subject);
  }

  private DatasetException(
      Code code, String message, Throwable cause, boolean retriable, Subject subject) {
    super(message, cause);
    this.code = code;
    this.retriable = retriable;
    this.subject = subject;
  }

  public Code code() {
    return code;
  }

  /** What the failure is about, if it is about one of them (see {@link Subject}). */
  public java.util.Optional<Subject> subject() {
    return java.util.Optional.ofNullable(subject);
  }

  /**
   * Whether the same call may succeed when repeated: a lost race or a transient I/O failure, but
   * not a {@code conflict} that needs an operator (files that disagree on their schema).
   */
  public boolean retriable() {
    return retriable;
  }

  static DatasetException notFound(Subject subject, String message) {
    return new DatasetException(Code.NOT_FOUND, subject, message);
  }

  static DatasetException invalidName(Subject subject, String message) {
    return new DatasetException(Code.INVALID_NAME, subject, message);
  }

  static DatasetException conflict(String message) {
    return new DatasetException(Code.CONFLICT, message);
  }

  static DatasetException permanentConflict(String message) {
    return new DatasetException(Code.CONFLICT, message, null, false, null);
  }

  static DatasetException io(String message, Throwable cause) {
    return new DatasetException(Code.IO_ERROR, message + ": " + cause, cause);
  }

  /** An {@code io_error} that repeating cannot cure: a committed file is not readable Parquet. */
  static DatasetException corrupt(String message, Throwable cause) {
    return new DatasetException(Code.IO_ERROR, message + ": " + plain(cause), cause, false, null);
  }

  /**
   * What a parser said, without its class name or the identity of the reader it was handed
   * (parquet-java: {@code org.apache.parquet.io.LocalInputFile@2b9cbddd is not a Parquet file...}),
   * neither of which means anything to whoever reads the error.
   */
  static String plain(Throwable cause) {
    String said = cause.getMessage();
    if (said == null || said.isBlank()) {
      return cause.getClass().getSimpleName();
    }
    return said.replaceAll("(?:[\\w$]+\\.)*[\\w$]+@\\p{XDigit}+", "the file");
  }
}
