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
 * The calls a borrower makes on a sandbox's host, run on the host's {@code af.loans} executor. Each
 * finds the host's {@link Lender} through the member's user context.
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

  /** Run a command in a lent sandbox, if {@code token} is still its lease's. */
  static final class Exec extends Task<ExecReply> {
    private static final long serialVersionUID = 1L;
    private final String key;
    private final long token;
    private final List<String> argv;
    private final Map<String, String> env;
    private final long timeoutMillis;
    private final long maxOutputBytes;

    Exec(
        String key,
        long token,
        List<String> argv,
        Map<String, String> env,
        Duration timeout,
        long maxOutputBytes) {
      this.key = key;
      this.token = token;
      this.argv = List.copyOf(argv);
      this.env = Map.copyOf(env);
      this.timeoutMillis = timeout.toMillis();
      this.maxOutputBytes = maxOutputBytes;
    }

    @Override
    public ExecReply call() {
      return lender().exec(key, token, argv, env, Duration.ofMillis(timeoutMillis), maxOutputBytes);
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
