package dev.agentfactory.cluster.hazelcast;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import dev.agentfactory.cluster.ClusterException;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * The calls a borrower makes on a sandbox's host, run on the host's {@code af.loans} executor, and
 * the one call back ({@link Output}, on the borrower's {@code af.output} executor). Each finds its
 * member's {@link Lender} or {@link ExecStreams} through the member's user context. Every call on a
 * lent sandbox carries the lease's fencing token; the host refuses any other.
 *
 * <p>Each task is Java-serialized as it stands: its class name, {@code serialVersionUID} and fields
 * are the wire format between members, including members of another version during a rolling
 * update. That is why every task spells out its own fields, alike as many of them are: moving the
 * shared ones ({@code key}, {@code token}) into a common superclass would change that format.
 */
final class PoolTasks {

  static final String LENDER = "af.lender";

  private PoolTasks() {}

  private abstract static class Task<T>
      implements Callable<T>, Serializable, HazelcastInstanceAware {
    private static final long serialVersionUID = 1L;
    private transient HazelcastInstance hazelcast;

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcast) {
      this.hazelcast = hazelcast;
    }

    HazelcastInstance hazelcast() {
      return hazelcast;
    }

    Lender lender() {
      Object lender = hazelcast.getUserContext().get(LENDER);
      if (lender == null) {
        throw new ClusterException("pool.no_pool", "this node has no sandbox pool", true);
      }
      return (Lender) lender;
    }
  }

  /** Lend one warm sandbox of {@code template}; {@code null} if there is none to lend. */
  static final class Borrow extends Task<LoanGrant> {
    private static final long serialVersionUID = 1L;
    private final String template;
    private final String sessionId;
    private final String borrower;

    Borrow(String template, String sessionId, String borrower) {
      this.template = template;
      this.sessionId = sessionId;
      this.borrower = borrower;
    }

    @Override
    public LoanGrant call() {
      return lender().lend(template, sessionId, borrower);
    }
  }

  /**
   * Run a command in a lent sandbox, if {@code token} is still its lease's; its output is pushed to
   * the borrower's stream {@code execId} while it runs.
   */
  static final class Exec extends Task<ExecReply> {
    private static final long serialVersionUID = 2L;
    private final String key;
    private final long token;
    private final String execId;
    private final List<String> argv;
    private final Map<String, String> env;
    private final long timeoutMillis;
    private final long maxOutputBytes;

    Exec(
        String key,
        long token,
        String execId,
        List<String> argv,
        Map<String, String> env,
        Duration timeout,
        long maxOutputBytes) {
      this.key = key;
      this.token = token;
      this.execId = execId;
      this.argv = List.copyOf(argv);
      this.env = Map.copyOf(env);
      this.timeoutMillis = timeout.toMillis();
      this.maxOutputBytes = maxOutputBytes;
    }

    @Override
    public ExecReply call() {
      return lender()
          .exec(
              hazelcast(),
              key,
              token,
              execId,
              argv,
              env,
              Duration.ofMillis(timeoutMillis),
              maxOutputBytes);
    }
  }

  /**
   * Stop the borrower's command {@code execId} in a lent sandbox: its process group is killed, and
   * its {@link Exec} answers {@code exec_cancelled}. A stale token, an ended loan or a command that
   * ended already make it a no-op. Sent on {@code af.loans.control}, so it never waits behind the
   * commands it may have to stop.
   */
  static final class CancelExec extends Task<Boolean> {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final long token;
    private final String execId;

    CancelExec(String key, long token, String execId) {
      this.key = key;
      this.token = token;
      this.execId = execId;
    }

    /** Whether a running command was stopped. */
    @Override
    public Boolean call() {
      return lender().cancel(key, token, execId);
    }
  }

  /** A batch of a running command's output, pushed by the host to the borrower; runs there. */
  static final class Output extends Task<Boolean> {
    private static final long serialVersionUID = 1L;
    private final String execId;
    private final List<OutputChunk> batch;

    Output(String execId, List<OutputChunk> batch) {
      this.execId = execId;
      this.batch = List.copyOf(batch);
    }

    /** True: send more. False: stop, the command is unknown here or its listener failed. */
    @Override
    public Boolean call() {
      ExecStreams streams = ExecStreams.on(hazelcast());
      return streams != null && streams.deliver(execId, batch);
    }
  }

  /** Pause, resume or hibernate a lent sandbox. */
  static final class Lifecycle extends Task<Boolean> {
    private static final long serialVersionUID = 1L;

    enum Op {
      PAUSE,
      RESUME,
      HIBERNATE
    }

    private final String key;
    private final long token;
    private final Op op;

    Lifecycle(String key, long token, Op op) {
      this.key = key;
      this.token = token;
      this.op = op;
    }

    @Override
    public Boolean call() {
      lender().lifecycle(key, token, op);
      return true;
    }
  }

  /** Read a file of a lent sandbox's workspace. */
  static final class ReadFile extends Task<byte[]> {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final long token;
    private final String path;
    private final long maxBytes;

    ReadFile(String key, long token, String path, long maxBytes) {
      this.key = key;
      this.token = token;
      this.path = path;
      this.maxBytes = maxBytes;
    }

    @Override
    public byte[] call() {
      return lender().readFile(key, token, path, maxBytes);
    }
  }

  /** Write a file of a lent sandbox's workspace. */
  static final class WriteFile extends Task<Boolean> {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final long token;
    private final String path;
    private final byte[] content;

    WriteFile(String key, long token, String path, byte[] content) {
      this.key = key;
      this.token = token;
      this.path = path;
      this.content = content;
    }

    @Override
    public Boolean call() {
      lender().writeFile(key, token, path, content);
      return true;
    }
  }

  /** List a directory of a lent sandbox's workspace. */
  static final class ListFiles extends Task<List<RemoteFile>> {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final long token;
    private final String path;

    ListFiles(String key, long token, String path) {
      this.key = key;
      this.token = token;
      this.path = path;
    }

    @Override
    public List<RemoteFile> call() {
      return lender().listFiles(key, token, path);
    }
  }

  /** The host's word that a lent sandbox ended there; runs on the borrower. */
  static final class LoanEnded extends Task<Boolean> {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final long token;
    private final String why;

    LoanEnded(String key, long token, String why) {
      this.key = key;
      this.token = token;
      this.why = why;
    }

    @Override
    public Boolean call() {
      lender().borrowedEnded(key, token, why);
      return true;
    }
  }

  /** Give a lent sandbox back: the host terminates it and frees the record. */
  static final class Return extends Task<Boolean> {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final long token;

    Return(String key, long token) {
      this.key = key;
      this.token = token;
    }

    @Override
    public Boolean call() {
      return lender().giveBack(key, token);
    }
  }
}
