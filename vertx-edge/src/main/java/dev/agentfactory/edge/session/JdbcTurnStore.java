package dev.agentfactory.edge.session;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.InteractionCodec;
import dev.agentfactory.edge.store.JdbcWorker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link TurnStore} over plain JDBC, in SQL that H2 and PostgreSQL both run: an H2 file under the
 * node's data directory by default, a database every node of a cluster shares by URL ({@code
 * session.store.url}). Turns older than the retention are not found and are deleted by a sweep
 * every {@value #SWEEP_MINUTES} minutes. All JDBC runs on the {@value #POOL} worker pool, one
 * connection, never on an event loop. Events are stored encrypted ({@link TurnCipher}): they are
 * recorded before PII scrubbing; a row that does not decrypt fails its lookup with an {@link
 * UnreadableTurnException}. A store with turns under a key the node lacks does not open ({@link
 * TurnStoreKeyException}, {@link TurnStoreKeys}); the turns of older keys are re-sealed with the
 * first key in the background ({@link TurnReencryption}).
 *
 * <pre>{@code
 * JdbcTurnStore.open(vertx, JdbcTurnStore.embeddedUrl(edgeDir), Duration.ofDays(7),
 *         TurnCipher.fromSpec(base64Key))
 *     .onSuccess(store -> recorder = new TurnStoreRecorder(kafkaRecorder, store));
 * }</pre>
 */
public final class JdbcTurnStore implements TurnStore {

  private static final Logger LOG = LoggerFactory.getLogger(JdbcTurnStore.class);

  static final String POOL = "af-turn-store";
  static final long SWEEP_MINUTES = 10;

  /** Turns written in one transaction at most. */
  static final int BATCH = 500;

  /** Turns waiting to be written at most; more are refused (not kept, still on Kafka). */
  static final int MAX_QUEUED = 50_000;

  // event_sealed: base64 of nonce, AES-GCM ciphertext and tag of the event's JSON (TurnCipher);
  // key_id: the key that sealed it. A table from before encryption had event_json in clear:
  // open() seals those rows and drops the column.
  private static final String SCHEMA =
      "CREATE TABLE IF NOT EXISTS af_session_turns ("
          + " tenant_id VARCHAR(64) NOT NULL, session_id VARCHAR(64) NOT NULL,"
          + " turn_id VARCHAR(128) NOT NULL, event_id VARCHAR(36) NOT NULL,"
          + " key_id VARCHAR(32) NOT NULL, event_sealed TEXT NOT NULL,"
          + " recorded_at BIGINT NOT NULL,"
          + " PRIMARY KEY (tenant_id, session_id, turn_id))";

  private final Vertx vertx;
  private final String url;
  private final Duration retention;
  private final Clock clock;
  private final JdbcWorker jdbc;
  private final InteractionCodec codec = new InteractionCodec();
  private final TurnCipher cipher;
  private final TurnReencryption reencryption;
  private Future<TurnReencryption.Result> pass; // guarded by this: the one running, with compaction
  private volatile boolean closed; // set under this, with pass
  private final long sweepTimer;
  private final Queue<Pending> pending = new ConcurrentLinkedQueue<>();
  private final AtomicInteger queued = new AtomicInteger();
  private final AtomicBoolean draining = new AtomicBoolean();

  private JdbcTurnStore(
      Vertx vertx, String url, Duration retention, TurnCipher cipher, Clock clock) {
    this.vertx = vertx;
    this.cipher = cipher;
    this.url = url;
    this.retention = retention;
    this.clock = clock;
    this.jdbc = new JdbcWorker(vertx, POOL, url, null, null, "session turn store");
    this.reencryption = new TurnReencryption(jdbc, cipher, keys());
    // Each sweep is followed by a re-encryption pass: rows another node still sealed with an older
    // key during a rolling rotation are re-sealed once that node has moved on.
    this.sweepTimer =
        vertx.setPeriodic(
            Duration.ofMinutes(SWEEP_MINUTES).toMillis(),
            id ->
                sweep()
                    .onFailure(e -> LOG.warn("expired session turns not deleted (retried)", e))
                    .onSuccess(v -> reencryptInBackground()));
  }

  /** The embedded default: an H2 database file {@code turns.mv.db} in {@code dir}. */
  public static String embeddedUrl(Path dir) {
    return "jdbc:h2:file:"
        + dir.toAbsolutePath().normalize().resolve("turns")
        + ";MODE=PostgreSQL;DATABASE_TO_LOWER=TRUE;DB_CLOSE_ON_EXIT=FALSE";
  }

  /**
   * Connects, creates the table if it is missing, checks that {@code cipher} reads every turn in
   * the store, seals the rows of a table from before encryption (then compacts an embedded H2
   * file), deletes expired turns and returns the store; the turns of older keys are then re-sealed
   * with the first key in the background ({@link #reencrypt}). Events are sealed with {@code
   * cipher}'s first key; rows sealed with any of its keys are read.
   *
   * <p>Fails with a {@link TurnStoreKeyException}, before changing any row, when the store holds
   * turns under a key id {@code cipher} lacks or one of its keys does not open the check value the
   * store keeps for that key id.
   */
  public static Future<JdbcTurnStore> open(
      Vertx vertx, String url, Duration retention, TurnCipher cipher) {
    return open(vertx, url, retention, cipher, Clock.systemUTC());
  }

  static Future<JdbcTurnStore> open(
      Vertx vertx, String url, Duration retention, TurnCipher cipher, Clock clock) {
    if (retention.isNegative() || retention.isZero()) {
      throw new IllegalArgumentException("retention must be positive: " + retention);
    }
    JdbcTurnStore store = new JdbcTurnStore(vertx, url, retention, cipher, clock);
    TurnStoreKeys keys = store.keys();
    return store
        .jdbc
        .run(
            c -> {
              try (Statement s = c.createStatement()) {
                s.execute(SCHEMA);
              }
              boolean clear = ClearTurns.present(c);
              if (clear) {
                ClearTurns.addSealedColumns(c);
              }
              TurnStoreKeys.createSchema(c);
              keys.check(c, JdbcWorker.redactUrl(url));
              return clear;
            })
        .compose(clear -> store.register(keys, true).map(clear))
        .compose(
            clear ->
                clear ? store.jdbc.run(c -> ClearTurns.seal(c, cipher)) : Future.succeededFuture(0))
        .compose(
            n ->
                n > 0
                    ? store.compact("sealing turns stored in clear")
                    : Future.<Void>succeededFuture())
        .compose(v -> store.sweep())
        .map(store)
        .onSuccess(JdbcTurnStore::reencryptInBackground)
        .recover(e -> store.close().transform(v -> Future.failedFuture(e)));
  }

  private TurnStoreKeys keys() {
    return new TurnStoreKeys(cipher, () -> clock.millis() - retention.toMillis());
  }

  /** Registers the node's keys; a node registering the same key at once makes it try again. */
  private Future<Void> register(TurnStoreKeys keys, boolean retry) {
    return jdbc.<Void>run(
            c -> {
              keys.register(c, clock.millis());
              return null;
            })
        .recover(
            e ->
                retry && e instanceof SQLException sql && TurnStoreKeys.isDuplicate(sql)
                    ? register(keys, false)
                    : Future.failedFuture(e));
  }

  /**
   * Re-seals the turns of keys older than the first with the first key, in batches on the store's
   * worker; a pass already running is returned rather than started twice. After a pass that
   * re-sealed turns and left none, an embedded H2 file is compacted so that the old key's
   * ciphertexts do not linger in freed pages.
   */
  synchronized Future<TurnReencryption.Result> reencrypt() {
    if (closed) {
      return Future.failedFuture(new IllegalStateException("the session turn store is closed"));
    }
    if (pass == null || pass.isComplete()) {
      pass =
          reencryption
              .run()
              .compose(
                  r ->
                      r.resealed() > 0 && r.left() == 0 && !closed
                          ? compact("re-encryption to key " + cipher.sealingKeyId()).map(r)
                          : Future.succeededFuture(r));
    }
    return pass;
  }

  /** What the re-encryption did since the store opened (every pass, the one at open included). */
  TurnReencryption.Result reencrypted() {
    return reencryption.totals();
  }

  private void reencryptInBackground() {
    if (!closed) {
      reencrypt()
          .onFailure(
              e ->
                  LOG.warn(
                      "re-encryption of session turns stopped (retried after the next sweep)", e));
    }
  }

  /**
   * Turns sealed with a key older than this node's first key, as last counted: re-encryption has
   * this many left. Once 0 on every node, the older keys can be dropped from {@code
   * session.store.key}.
   */
  public long turnsUnderOlderKeys() {
    return reencryption.left();
  }

  /**
   * Turns under key ids this node lacks, as last counted (0 at start: the open fails otherwise);
   * more after the start means another node seals with a key this one does not hold.
   */
  public long turnsUnderMissingKeys() {
    return reencryption.unreadable();
  }

  /** The id of the key new turns are sealed with. */
  public String sealingKeyId() {
    return cipher.sealingKeyId();
  }

  /**
   * H2's {@code SHUTDOWN COMPACT} on an embedded H2 file, which rewrites the file without its freed
   * pages (clear rows, ciphertexts of a dropped key). Only where this node alone uses the file:
   * never over TCP or with {@code AUTO_SERVER} (it would close other processes' database), never on
   * another database (PostgreSQL: {@code VACUUM FULL af_session_turns}, by the operator).
   */
  private Future<Void> compact(String why) {
    if (!compactable(url)) {
      return Future.succeededFuture();
    }
    long started = System.nanoTime();
    return jdbc.runThenReconnect(
            c -> {
              try (Statement s = c.createStatement()) {
                s.execute("SHUTDOWN COMPACT");
              }
              return null;
            })
        .onSuccess(
            v ->
                LOG.info(
                    "compacted the session turn store file after {} ({} ms)",
                    why,
                    (System.nanoTime() - started) / 1_000_000));
  }

  /** An H2 file this JVM opens alone: {@code jdbc:h2:file:} without {@code AUTO_SERVER=TRUE}. */
  static boolean compactable(String url) {
    String u = url.toLowerCase(java.util.Locale.ROOT);
    return u.startsWith("jdbc:h2:file:") && !u.replace(" ", "").contains("auto_server=true");
  }

  /**
   * Queues the turn; a drain on the worker writes what is queued in one transaction (up to {@value
   * #BATCH} turns), so the store keeps up with many sessions with one connection. Fails at once
   * when {@value #MAX_QUEUED} turns are already waiting (the database is slower than the turns):
   * the turn is still recorded on Kafka, only not amendable from elsewhere.
   */
  @Override
  public Future<Void> put(String turnId, Interaction event) {
    if (queued.incrementAndGet() > MAX_QUEUED) {
      queued.decrementAndGet();
      return Future.failedFuture(
          new IllegalStateException(
              "the session turn store is " + MAX_QUEUED + " turns behind; turn not kept"));
    }
    Promise<Void> done = Promise.promise();
    pending.add(
        new Pending(
            event.tenant(),
            event.sessionId(),
            turnId,
            event.eventId().toString(),
            codec.toJson(event),
            clock.millis(),
            done));
    if (draining.compareAndSet(false, true)) {
      drain();
    }
    return done.future();
  }

  /** A turn waiting to be written. */
  private record Pending(
      String tenant,
      String sessionId,
      String turnId,
      String eventId,
      byte[] json,
      long recordedAt,
      Promise<Void> done) {}

  private void drain() {
    // Keyed by turn: a reused request id in one batch keeps the newest turn.
    Map<List<String>, Pending> batch = new LinkedHashMap<>();
    List<Pending> taken = new ArrayList<>();
    Pending next;
    while (taken.size() < BATCH && (next = pending.poll()) != null) {
      taken.add(next);
      List<String> key = List.of(next.tenant(), next.sessionId(), next.turnId());
      batch.remove(key);
      batch.put(key, next);
    }
    if (taken.isEmpty()) {
      draining.set(false);
      // a put may have queued after the poll and before the flag was cleared
      if (!pending.isEmpty() && draining.compareAndSet(false, true)) {
        drain();
      }
      return;
    }
    jdbc.run(
            c -> {
              write(c, batch.values());
              return null;
            })
        .onComplete(
            ar -> {
              queued.addAndGet(-taken.size());
              for (Pending p : taken) {
                if (ar.succeeded()) {
                  p.done().tryComplete();
                } else {
                  p.done().tryFail(ar.cause());
                }
              }
              drain();
            });
  }

  /** Writes a batch, sealing each event here on the worker rather than on the event loop. */
  private void write(Connection c, Iterable<Pending> batch) throws SQLException {
    // Delete, then insert: portable SQL for "a reused request id names the newest turn".
    try (PreparedStatement d =
            c.prepareStatement(
                "DELETE FROM af_session_turns"
                    + " WHERE tenant_id = ? AND session_id = ? AND turn_id = ?");
        PreparedStatement i =
            c.prepareStatement(
                "INSERT INTO af_session_turns (tenant_id, session_id, turn_id, event_id,"
                    + " key_id, event_sealed, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      for (Pending p : batch) {
        d.setString(1, p.tenant());
        d.setString(2, p.sessionId());
        d.setString(3, p.turnId());
        d.addBatch();
        i.setString(1, p.tenant());
        i.setString(2, p.sessionId());
        i.setString(3, p.turnId());
        i.setString(4, p.eventId());
        TurnCipher.Sealed sealed =
            cipher.seal(p.json(), aad(p.tenant(), p.sessionId(), p.turnId()));
        i.setString(5, sealed.keyId());
        i.setString(6, sealed.payload());
        i.setLong(7, p.recordedAt());
        i.addBatch();
      }
      d.executeBatch();
      i.executeBatch();
    }
  }

  @Override
  public Future<Lookup> find(String tenant, String sessionId, String turnId) {
    long oldest = clock.millis() - retention.toMillis();
    return jdbc.run(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT key_id, event_sealed FROM af_session_turns WHERE tenant_id = ?"
                      + " AND session_id = ? AND turn_id = ? AND recorded_at >= ?")) {
            s.setString(1, tenant);
            s.setString(2, sessionId);
            s.setString(3, turnId);
            s.setLong(4, oldest);
            try (ResultSet rs = s.executeQuery()) {
              if (rs.next()) {
                return new Lookup.Found(
                    unseal(tenant, sessionId, turnId, rs.getString(1), rs.getString(2)));
              }
            }
          }
          try (PreparedStatement s =
              c.prepareStatement(
                  "SELECT 1 FROM af_session_turns WHERE tenant_id = ? AND session_id = ?"
                      + " AND recorded_at >= ? LIMIT 1")) {
            s.setString(1, tenant);
            s.setString(2, sessionId);
            s.setLong(3, oldest);
            try (ResultSet rs = s.executeQuery()) {
              return rs.next() ? new Lookup.UnknownTurn() : new Lookup.UnknownSession();
            }
          }
        });
  }

  /**
   * The stored event of a turn.
   *
   * @throws UnreadableTurnException if the row does not open with this node's keys or its event
   *     does not parse
   */
  private Interaction unseal(
      String tenant, String sessionId, String turnId, String keyId, String payload) {
    byte[] json;
    try {
      json = cipher.open(keyId, payload, aad(tenant, sessionId, turnId));
    } catch (TurnCipher.UnopenablePayloadException e) {
      throw new UnreadableTurnException(tenant, sessionId, turnId, e.getMessage(), null);
    }
    try {
      return codec.parse(json);
    } catch (RuntimeException e) {
      throw new UnreadableTurnException(
          tenant, sessionId, turnId, "its event does not parse: " + e.getMessage(), e);
    }
  }

  /** What a sealed event is bound to: a row copied to another turn does not open. */
  static byte[] aad(String tenant, String sessionId, String turnId) {
    return (tenant + '\0' + sessionId + '\0' + turnId).getBytes(StandardCharsets.UTF_8);
  }

  /** Deletes the turns older than the retention. */
  Future<Void> sweep() {
    long oldest = clock.millis() - retention.toMillis();
    return jdbc.run(
        c -> {
          try (PreparedStatement s =
              c.prepareStatement("DELETE FROM af_session_turns WHERE recorded_at < ?")) {
            s.setLong(1, oldest);
            int deleted = s.executeUpdate();
            if (deleted > 0) {
              LOG.info("deleted {} session turns older than {}", deleted, retention);
            }
          }
          return null;
        });
  }

  /** Fails when the database does not answer (for {@code /health}). */
  public Future<Void> ping() {
    return jdbc.ping();
  }

  @Override
  public Future<Void> close() {
    vertx.cancelTimer(sweepTimer);
    reencryption.stop();
    Future<?> running;
    synchronized (this) {
      closed = true;
      running = pass == null ? Future.succeededFuture() : pass;
    }
    // A pass ends after its current batch; its compaction must not reopen the database after close.
    return running.<Void>transform(ar -> Future.succeededFuture()).compose(v -> closeJdbc());
  }

  private Future<Void> closeJdbc() {
    return jdbc.close();
  }
}
