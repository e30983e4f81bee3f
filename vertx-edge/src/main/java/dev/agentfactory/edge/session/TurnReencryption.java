package dev.agentfactory.edge.session;

import dev.agentfactory.edge.store.JdbcWorker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-seals the turns of older keys with the node's first key, {@value #BATCH} rows per transaction
 * on the store's worker, so puts and lookups run between batches and start-up does not wait. Safe
 * with several nodes on one store: each row is updated only if it still has the key id and event id
 * it was read with (compare-and-set), so a row another node re-sealed or a put replaced meanwhile
 * is left as it is; every re-sealed row is under a key every node of a correct rotation holds. A
 * row that does not open (tampered) is skipped and stays as it was.
 */
final class TurnReencryption {

  private static final Logger LOG = LoggerFactory.getLogger(TurnReencryption.class);

  static final int BATCH = 200;
  private static final long LOG_EVERY = 10_000;

  /**
   * What a pass did: rows re-sealed, rows another node or a put changed first, rows that did not
   * open, and the turns of older keys left when it ended.
   */
  record Result(long resealed, long raced, long unopenable, long left) {}

  private record Cursor(String tenant, String session, String turn) {}

  private record Batch(Cursor last, long resealed, long raced, long unopenable) {}

  /** Runs work in one transaction on the store's worker, as {@link JdbcWorker#run} does. */
  interface Transactions {
    <T> Future<T> run(JdbcWorker.Work<T> work);
  }

  private final Transactions jdbc;
  private final TurnCipher cipher;
  private final TurnStoreKeys keys;
  private final AtomicLong left = new AtomicLong();
  private final AtomicLong unreadable = new AtomicLong();
  private final AtomicLong resealedTotal = new AtomicLong();
  private final AtomicLong racedTotal = new AtomicLong();
  private final AtomicLong unopenableTotal = new AtomicLong();
  private Future<Result> running; // guarded by this
  private volatile boolean stopped;

  TurnReencryption(JdbcWorker jdbc, TurnCipher cipher, TurnStoreKeys keys) {
    this(jdbc::run, cipher, keys);
  }

  TurnReencryption(Transactions jdbc, TurnCipher cipher, TurnStoreKeys keys) {
    this.jdbc = jdbc;
    this.cipher = cipher;
    this.keys = keys;
  }

  /** Turns of older keys still to re-seal, as last counted. */
  long left() {
    return left.get();
  }

  /** Turns under keys this node lacks, as last counted (0 after a successful open). */
  long unreadable() {
    return unreadable.get();
  }

  /** What every pass so far did, with the turns of older keys left as last counted. */
  Result totals() {
    return new Result(resealedTotal.get(), racedTotal.get(), unopenableTotal.get(), left.get());
  }

  /** Starts a pass, or returns the one running. */
  synchronized Future<Result> run() {
    if (running == null) {
      Promise<Result> done = Promise.promise();
      // A pass can end before this method returns (the census answered at once: on the event
      // loop, a worker that finished before it was listened to); finished() then clears the
      // field, so the pass is returned from here, not read back from the field.
      Future<Result> pass = done.future();
      running = pass;
      jdbc.run(this::older)
          .onComplete(
              ar -> {
                if (ar.failed()) {
                  done.fail(ar.cause());
                } else if (ar.result().isEmpty()) {
                  done.complete(new Result(0, 0, 0, 0));
                } else {
                  step(done, List.copyOf(ar.result()), null, new Batch(null, 0, 0, 0));
                }
              });
      pass.onComplete(ar -> finished());
      return pass;
    }
    return running;
  }

  private synchronized void finished() {
    running = null;
  }

  void stop() {
    stopped = true;
  }

  private Set<String> older(Connection c) throws SQLException {
    TurnStoreKeys.Census census = keys.census(c);
    unreadable.set(census.missing().values().stream().mapToLong(Long::longValue).sum());
    Set<String> older = keys.older(c, census);
    long n = older.stream().mapToLong(census.turnsByKey()::get).sum();
    left.set(n);
    if (n > 0) {
      LOG.info(
          "re-encrypting {} session turns sealed with key(s) {} to key {}, {} per transaction",
          n,
          older,
          cipher.sealingKeyId(),
          BATCH);
    }
    return older;
  }

  private void step(Promise<Result> done, List<String> from, Cursor after, Batch sofar) {
    if (stopped) {
      done.complete(new Result(sofar.resealed(), sofar.raced(), sofar.unopenable(), left.get()));
      return;
    }
    jdbc.run(c -> batch(c, from, after))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.fail(ar.cause());
                return;
              }
              Batch b = ar.result();
              resealedTotal.addAndGet(b.resealed());
              racedTotal.addAndGet(b.raced());
              unopenableTotal.addAndGet(b.unopenable());
              Batch total =
                  new Batch(
                      b.last(),
                      sofar.resealed() + b.resealed(),
                      sofar.raced() + b.raced(),
                      sofar.unopenable() + b.unopenable());
              left.updateAndGet(n -> Math.max(0, n - b.resealed() - b.raced()));
              if (total.resealed() / LOG_EVERY > sofar.resealed() / LOG_EVERY) {
                LOG.info(
                    "re-encrypted {} session turns to key {}, about {} left",
                    total.resealed(),
                    cipher.sealingKeyId(),
                    left.get());
              }
              if (b.last() != null) {
                step(done, from, b.last(), total);
              } else {
                jdbc.run(this::countLeft)
                    .onComplete(
                        counted -> {
                          if (counted.failed()) {
                            done.fail(counted.cause());
                            return;
                          }
                          Result r =
                              new Result(
                                  total.resealed(),
                                  total.raced(),
                                  total.unopenable(),
                                  counted.result());
                          LOG.info(
                              "re-encryption to key {} done: {} turns re-sealed, {} changed by"
                                  + " another node first, {} unreadable (left as they were), {}"
                                  + " left under older keys",
                              cipher.sealingKeyId(),
                              r.resealed(),
                              r.raced(),
                              r.unopenable(),
                              r.left());
                          done.complete(r);
                        });
              }
            });
  }

  private long countLeft(Connection c) throws SQLException {
    TurnStoreKeys.Census census = keys.census(c);
    unreadable.set(census.missing().values().stream().mapToLong(Long::longValue).sum());
    long n = keys.older(c, census).stream().mapToLong(census.turnsByKey()::get).sum();
    left.set(n);
    return n;
  }

  /** Re-seals up to {@value #BATCH} rows of {@code from} after {@code after} in key order. */
  private Batch batch(Connection c, List<String> from, Cursor after) throws SQLException {
    String in = String.join(", ", Collections.nCopies(from.size(), "?"));
    String sql =
        "SELECT tenant_id, session_id, turn_id, event_id, key_id, event_sealed"
            + " FROM af_session_turns WHERE key_id IN ("
            + in
            + ")"
            + (after == null
                ? ""
                : " AND (tenant_id > ? OR (tenant_id = ? AND (session_id > ?"
                    + " OR (session_id = ? AND turn_id > ?))))")
            + " ORDER BY tenant_id, session_id, turn_id LIMIT "
            + BATCH;
    Cursor last = null;
    int read = 0;
    long unopenable = 0;
    int queued = 0;
    try (PreparedStatement q = c.prepareStatement(sql);
        PreparedStatement u =
            c.prepareStatement(
                "UPDATE af_session_turns SET key_id = ?, event_sealed = ? WHERE tenant_id = ?"
                    + " AND session_id = ? AND turn_id = ? AND key_id = ? AND event_id = ?")) {
      int p = 1;
      for (String id : from) {
        q.setString(p++, id);
      }
      if (after != null) {
        q.setString(p++, after.tenant());
        q.setString(p++, after.tenant());
        q.setString(p++, after.session());
        q.setString(p++, after.session());
        q.setString(p, after.turn());
      }
      try (ResultSet rs = q.executeQuery()) {
        while (rs.next()) {
          read++;
          String tenant = rs.getString(1);
          String session = rs.getString(2);
          String turn = rs.getString(3);
          last = new Cursor(tenant, session, turn);
          byte[] aad = JdbcTurnStore.aad(tenant, session, turn);
          byte[] json;
          try {
            json = cipher.open(rs.getString(5), rs.getString(6), aad);
          } catch (TurnCipher.UnopenablePayloadException e) {
            unopenable++;
            LOG.warn(
                "session {}: turn '{}' not re-encrypted, it does not open: {}",
                session,
                turn,
                e.getMessage());
            continue;
          }
          TurnCipher.Sealed sealed = cipher.seal(json, aad);
          u.setString(1, sealed.keyId());
          u.setString(2, sealed.payload());
          u.setString(3, tenant);
          u.setString(4, session);
          u.setString(5, turn);
          u.setString(6, rs.getString(5));
          u.setString(7, rs.getString(4));
          u.addBatch();
          queued++;
        }
      }
      long resealed = 0;
      if (queued > 0) {
        for (int n : u.executeBatch()) {
          // SUCCESS_NO_INFO (-2): the driver does not say; count it as done
          resealed += n == 0 ? 0 : 1;
        }
      }
      return new Batch(read < BATCH ? null : last, resealed, queued - resealed, unopenable);
    }
  }
}
