package dev.agentfactory.edge.config;

import dev.agentfactory.edge.model.SecretPolicy;
import java.util.List;

/**
 * Every option of a node, with its default and environment variable. {@code docs/configuration.md}
 * lists the same options; a test keeps the two in agreement.
 */
public final class NodeOptions {

  public static final Option<String> DATA_DIR =
      Option.string(
          "data.dir",
          "AF_DATA_DIR",
          "./data",
          "Directory for all state of the node: Kafka log, Flink checkpoints, datasets, sandbox"
              + " workspaces.");

  public static final Option<String> HTTP_HOST =
      Option.string(
          "http.host",
          "AF_HTTP_HOST",
          "127.0.0.1",
          "Address the HTTP and WebSocket API binds to. Loopback by default; any other address"
              + " needs auth.admin.key.");

  public static final Option<Integer> HTTP_PORT =
      Option.port("http.port", "AF_HTTP_PORT", 8080, "Port of the HTTP and WebSocket API.");

  public static final Option<Boolean> DATA_ENABLED =
      Option.bool(
          "data.enabled",
          "AF_DATA_ENABLED",
          true,
          "Run the data plane: Kafka, Flink and the pipeline job. false: sessions work but no"
              + " interaction is recorded, and /health says so (nodes of a test cluster).");

  public static final Option<String> KAFKA_BOOTSTRAP =
      Option.string(
          "kafka.bootstrap.servers",
          "AF_KAFKA_BOOTSTRAP_SERVERS",
          "",
          "Bootstrap servers of an external Kafka cluster, where the node creates the topics it"
              + " uses when they are missing (agent-factory.interactions, .interactions.dlq,"
              + " .eval.live with the broker's default partitions and replication factor;"
              + " .pipeline.savepoints compacted, one partition). Empty: start the embedded"
              + " single-node KRaft broker.");

  public static final Option<Integer> KAFKA_PORT =
      Option.port(
          "kafka.embedded.port",
          "AF_KAFKA_PORT",
          9092,
          "Listener port of the embedded Kafka broker (0 picks a free port).");

  public static final Option<Integer> KAFKA_PUBLISH_BUFFER_EVENTS =
      Option.positiveInt(
          "kafka.publish.buffer.events",
          "AF_KAFKA_PUBLISH_BUFFER_EVENTS",
          10000,
          "Interaction events the node holds until Kafka acknowledges them; above 80% sessions"
              + " refuse new work (recording_backlog), when full an event fails"
              + " (event_not_recorded).");

  public static final Option<Integer> KAFKA_PUBLISH_BUFFER_BYTES =
      Option.positiveInt(
          "kafka.publish.buffer.bytes",
          "AF_KAFKA_PUBLISH_BUFFER_BYTES",
          67108864,
          "The same bound in bytes of encoded events.");

  public static final Option<Integer> KAFKA_PUBLISH_TIMEOUT_MS =
      Option.positiveInt(
          "kafka.publish.timeout.ms",
          "AF_KAFKA_PUBLISH_TIMEOUT_MS",
          120000,
          "How long an interaction event waits for Kafka to take it (retried while Kafka is"
              + " away), and then to acknowledge it, before it fails (event_not_recorded). At"
              + " least 1000.");

  public static final Option<Integer> SESSION_MAX_UNACKED_EVENTS =
      Option.positiveInt(
          "session.max.unacked.events",
          "AF_SESSION_MAX_UNACKED_EVENTS",
          64,
          "Interaction events of one session Kafka has not yet acknowledged beyond which the"
              + " session refuses new commands, messages and feedback (recording_backlog).");

  public static final Option<String> FLINK_REST_URL =
      Option.string(
          "flink.rest.url",
          "AF_FLINK_REST_URL",
          "",
          "REST address of an external Flink session cluster. Empty: start the embedded"
              + " MiniCluster.");

  public static final Option<Integer> FLINK_PORT =
      Option.port(
          "flink.embedded.port",
          "AF_FLINK_PORT",
          8081,
          "REST API and web UI port of the embedded Flink MiniCluster (0 picks a free port).");

  public static final Option<String> PIPELINE_JAR =
      Option.string(
          "flink.pipeline.jar",
          "AF_PIPELINE_JAR",
          "",
          "The interaction pipeline job jar submitted to Flink. The launcher sets it to the jar"
              + " the build made.");

  public static final Option<Integer> CHECKPOINT_INTERVAL_MS =
      Option.positiveInt(
          "flink.checkpoint.interval.ms",
          "AF_CHECKPOINT_INTERVAL_MS",
          2000,
          "Checkpoint interval of the pipeline job; dataset files are committed on each"
              + " checkpoint.");

  public static final Option<String> FLINK_SAVEPOINTS_DIR =
      new Option<>(
          "flink.savepoints.dir",
          "AF_FLINK_SAVEPOINTS_DIR",
          "",
          "Where job stops (DELETE /v1/jobs/{id}, the node's shutdown) put their savepoints, sent"
              + " to Flink as the stop's target directory, so a cluster without a default savepoint"
              + " directory can stop jobs too: an absolute path or a URI (e.g."
              + " s3://bucket/savepoints) that the JobManager and every TaskManager can write."
              + " Empty: DATA_DIR/flink/savepoints, which an external cluster can only use when it"
              + " runs on this machine or shares that filesystem.",
          NodeOptions::savepointsDir);

  public static final Option<Integer> SAVEPOINTS_RETAIN =
      Option.positiveInt(
          "flink.savepoints.retain",
          "AF_FLINK_SAVEPOINTS_RETAIN",
          3,
          "Savepoints of clean stops kept in flink.savepoints.dir when Flink is the embedded one"
              + " and the directory local; older ones are deleted once the running job has a"
              + " checkpoint of its own or a newer savepoint exists. The savepoint of the last"
              + " clean stop is always kept. The embedded Flink's node also keeps this many of the"
              + " newest stops other nodes made on its Flink, as the Kafka topic"
              + " agent-factory.pipeline.savepoints lists them, and deletes the older ones.");

  public static final Option<String> JUDGE_ENDPOINT =
      Option.httpUrl(
          "judge.endpoint",
          "AF_JUDGE_ENDPOINT",
          "Base URL of an OpenAI-compatible API (e.g. https://api.openai.com/v1) whose chat"
              + " completions judge a sample of turns in the pipeline job (docs/labeling.md). Empty:"
              + " the judge is off.");

  public static final Option<String> JUDGE_MODEL =
      Option.string("judge.model", "AF_JUDGE_MODEL", "gpt-4o-mini", "Model the judge asks.");

  public static final Option<String> JUDGE_API_KEY_ENV =
      Option.string(
          "judge.api.key.env",
          "AF_JUDGE_API_KEY_ENV",
          "AF_JUDGE_API_KEY",
          "Name of the environment variable holding the judge's API key, read by the Flink task"
              + " managers (the embedded MiniCluster: this node's own environment). The key itself"
              + " is never an option: job arguments show in Flink's UI.");

  public static final Option<Double> JUDGE_SAMPLE_RATE =
      Option.fraction(
          "judge.sample.rate",
          "AF_JUDGE_SAMPLE_RATE",
          0.1,
          "Share of turns the judge rates, 0 to 1, chosen deterministically by the turn's event id"
              + " (an amending event goes with its turn, docs/labeling.md).");

  public static final Option<Integer> JUDGE_TIMEOUT_MS =
      Option.positiveInt(
          "judge.timeout.ms",
          "AF_JUDGE_TIMEOUT_MS",
          10000,
          "Time a judge call may take; a later answer gives the turn a degraded label, never a"
              + " failed job.");

  public static final Option<Integer> JUDGE_MAX_CONCURRENT =
      Option.positiveInt(
          "judge.max.concurrent",
          "AF_JUDGE_MAX_CONCURRENT",
          16,
          "Judge calls in flight per pipeline subtask.");

  public static final Option<String> CLUSTER_NAME =
      Option.string(
          "cluster.name",
          "AF_CLUSTER_NAME",
          "agent-factory",
          "Hazelcast cluster name; only members with the same name join.");

  public static final Option<Integer> CLUSTER_PORT =
      Option.port(
          "cluster.port",
          "AF_CLUSTER_PORT",
          5701,
          "Hazelcast member port (the next free port is taken if it is busy).");

  public static final Option<String> CLUSTER_MEMBERS =
      Option.string(
          "cluster.members",
          "AF_CLUSTER_MEMBERS",
          "",
          "Comma-separated host:port list of other members (TCP-IP discovery; multicast is"
              + " off). Empty: a single-node cluster.");

  public static final Option<String> SANDBOX_ISOLATION =
      Option.string(
          "sandbox.isolation",
          "AF_SANDBOX_ISOLATION",
          "namespace",
          "Isolation level of sandboxes: namespace (bubblewrap) or process (trusted code only).");

  public static final Option<String> SANDBOX_DIR =
      Option.string(
          "sandbox.dir",
          "AF_SANDBOX_DIR",
          "",
          "Where sandbox workspaces live. Empty: DATA_DIR/sandboxes, or a directory under the"
              + " system temp dir when sandbox uids cannot traverse a parent of DATA_DIR (o+x).");

  public static final Option<String> SANDBOX_TEMPLATES_DIR =
      Option.string(
          "sandbox.templates.dir",
          "AF_SANDBOX_TEMPLATES_DIR",
          "",
          "Directory of extra sandbox templates, one JSON file each (docs/sandbox.md), e.g. one"
              + " with an egress allowlist for http.fetch; a file may replace a built-in template"
              + " of its name. Empty: the built-in shell, python, node and browser, none of which"
              + " has network.");

  public static final Option<Integer> SANDBOX_POOL_SIZE =
      Option.nonNegativeInt(
          "sandbox.pool.size",
          "AF_SANDBOX_POOL_SIZE",
          2,
          "Warm shell sandboxes kept ready on this node (0: start on demand). Other templates keep"
              + " their own warm_pool_size: 0 for the built-in python, node and browser, whose"
              + " first lease starts one.");

  /**
   * The largest WebSocket message the node's transport accepts (larger ones close the connection
   * with 1009), so also the most {@link #SESSION_MAX_FRAME_BYTES} can be.
   */
  public static final int MAX_WEBSOCKET_MESSAGE_BYTES = 1 << 20;

  public static final Option<Integer> SESSION_MAX_FRAME_BYTES =
      Option.positiveIntAtMost(
          "session.max.frame.bytes",
          "AF_SESSION_MAX_FRAME_BYTES",
          65536,
          "Largest client frame a session accepts; larger ones get a frame_too_large error. At"
              + " most 1048576, the WebSocket layer's limit (above it the connection closes, 1009).",
          MAX_WEBSOCKET_MESSAGE_BYTES);

  public static final Option<Integer> SESSION_RESUME_GRACE_MS =
      Option.nonNegativeInt(
          "session.resume.grace.ms",
          "AF_SESSION_RESUME_GRACE_MS",
          60000,
          "How long a session whose connection dropped keeps its sandbox for the client to"
              + " resume; 0 ends it at once. A draining node ends such sessions at once.");

  public static final Option<String> SESSION_STORE_URL =
      Option.string(
          "session.store.url",
          "AF_SESSION_STORE_URL",
          "",
          "JDBC URL of the session turn store, which keeps recorded turns for feedback after a"
              + " session ended or from another node; shared by all nodes of a cluster. Empty: an H2"
              + " file under DATA_DIR/edge.");

  public static final Option<String> SESSION_STORE_KEY =
      Option.string(
          "session.store.key",
          "AF_SESSION_STORE_KEY",
          "",
          "Key that encrypts the session turn store's events (AES-256-GCM): base64 of 32 bytes or"
              + " the path of a file holding it; a comma-separated list encrypts with the first and"
              + " decrypts with all (rotation). Every node sharing session.store.url needs the same"
              + " key; required when it is set. Empty: a key generated once in"
              + " DATA_DIR/edge/turn-store.key (owner-only).");

  public static final Option<Integer> SESSION_TURN_RETENTION_HOURS =
      Option.positiveInt(
          "session.turn.retention.hours",
          "AF_SESSION_TURN_RETENTION_HOURS",
          168,
          "How long the session turn store keeps a recorded turn (its interaction event, before"
              + " PII scrubbing) for feedback; older turns are deleted.");

  public static final Option<String> ADMIN_KEY =
      Option.string(
          "auth.admin.key",
          "AF_ADMIN_KEY",
          "",
          "Admin key that creates and revokes API keys. Set: every /v1 request needs a key. Empty:"
              + " auth is off, allowed only while http.host is loopback.");

  public static final Option<String> AUTH_STORE_URL =
      Option.string(
          "auth.store.url",
          "AF_AUTH_STORE_URL",
          "",
          "JDBC URL of the API key store, shared by all nodes of a cluster (e.g."
              + " `jdbc:postgresql://db:5432/af?user=af&password=…`; the PostgreSQL driver ships"
              + " with the node). Empty: an H2 file under DATA_DIR/edge.");

  public static final Option<String> AGENTS_STORE_URL =
      Option.string(
          "agents.store.url",
          "AF_AGENTS_STORE_URL",
          "",
          "JDBC URL of the agent registry's store (agents, versions, deployments), shared by all"
              + " nodes of a cluster so that an agent created or promoted through one node is"
              + " served by every node (e.g. `jdbc:postgresql://db:5432/af?user=af&password=…`)."
              + " Empty: an H2 file under DATA_DIR/edge, this node's alone.");

  public static final Option<SecretPolicy> AGENTS_SECRETS =
      new Option<>(
          "agents.secrets",
          "AF_AGENTS_SECRETS",
          SecretPolicy.DEFAULT,
          "Secrets agent specs may name as model.api_key, and where they may be sent: comma list"
              + " of env:NAME, env:PREFIX*, file:/path or file:/dir/* (with {tenant} for the"
              + " calling tenant), each optionally @URL to allow only base URLs under it. Empty: no"
              + " secret. See docs/agents.md.",
          SecretPolicy::parse);

  public static final Option<Integer> RATE_LIMIT_PER_SECOND =
      Option.positiveInt(
          "auth.rate.limit.per.second",
          "AF_RATE_LIMIT_PER_SECOND",
          50,
          "Requests per second each API key may make on this node (token bucket refill).");

  public static final Option<Integer> RATE_LIMIT_BURST =
      Option.positiveInt(
          "auth.rate.limit.burst",
          "AF_RATE_LIMIT_BURST",
          100,
          "Requests an API key may make at once before the per-second rate applies.");

  public static final Option<Integer> SESSIONS_PER_TENANT =
      Option.positiveInt(
          "session.max.per.tenant",
          "AF_SESSION_MAX_PER_TENANT",
          100,
          "Concurrent sessions one tenant may hold on this node; more get 429.");

  public static final Option<Integer> SESSION_IDLE_PAUSE_MS =
      Option.nonNegativeInt(
          "session.idle.pause.ms",
          "AF_SESSION_IDLE_PAUSE_MS",
          60000,
          "A session with no client frame and no running work for this long pauses (freezes) its"
              + " sandbox; the next command wakes it. 0: never.");

  public static final Option<Integer> SESSION_IDLE_HIBERNATE_MS =
      Option.nonNegativeInt(
          "session.idle.hibernate.ms",
          "AF_SESSION_IDLE_HIBERNATE_MS",
          600000,
          "After this much idleness the sandbox hibernates: workspace kept, processes and memory"
              + " released. 0: never.");

  public static final Option<Integer> SESSION_SLOW_CLIENT_MS =
      Option.positiveInt(
          "session.slow.client.ms",
          "AF_SESSION_SLOW_CLIENT_MS",
          30000,
          "A client whose socket stays backed up this long is disconnected (slow_consumer).");

  public static final Option<String> LOG_FORMAT =
      Option.string(
          "log.format",
          "AF_LOG_FORMAT",
          "text",
          "Log lines on stderr: text (one readable line, for a terminal) or json (one JSON object"
              + " per line, Elastic Common Schema, with session_id and tenant, for production).");

  /** All options, in the order the configuration reference lists them. */
  public static final List<Option<?>> ALL =
      List.of(
          DATA_DIR,
          HTTP_HOST,
          HTTP_PORT,
          DATA_ENABLED,
          KAFKA_BOOTSTRAP,
          KAFKA_PORT,
          KAFKA_PUBLISH_BUFFER_EVENTS,
          KAFKA_PUBLISH_BUFFER_BYTES,
          KAFKA_PUBLISH_TIMEOUT_MS,
          FLINK_REST_URL,
          FLINK_PORT,
          PIPELINE_JAR,
          CHECKPOINT_INTERVAL_MS,
          FLINK_SAVEPOINTS_DIR,
          SAVEPOINTS_RETAIN,
          JUDGE_ENDPOINT,
          JUDGE_MODEL,
          JUDGE_API_KEY_ENV,
          JUDGE_SAMPLE_RATE,
          JUDGE_TIMEOUT_MS,
          JUDGE_MAX_CONCURRENT,
          CLUSTER_NAME,
          CLUSTER_PORT,
          CLUSTER_MEMBERS,
          SANDBOX_ISOLATION,
          SANDBOX_DIR,
          SANDBOX_TEMPLATES_DIR,
          SANDBOX_POOL_SIZE,
          SESSION_MAX_FRAME_BYTES,
          SESSION_RESUME_GRACE_MS,
          SESSION_IDLE_PAUSE_MS,
          SESSION_IDLE_HIBERNATE_MS,
          SESSION_SLOW_CLIENT_MS,
          SESSION_MAX_UNACKED_EVENTS,
          SESSIONS_PER_TENANT,
          SESSION_STORE_URL,
          SESSION_STORE_KEY,
          SESSION_TURN_RETENTION_HOURS,
          ADMIN_KEY,
          AUTH_STORE_URL,
          AGENTS_STORE_URL,
          AGENTS_SECRETS,
          RATE_LIMIT_PER_SECOND,
          RATE_LIMIT_BURST,
          LOG_FORMAT);

  /** Empty, an absolute path or a URI with a scheme; a relative path would depend on the cwd. */
  private static String savepointsDir(String text) {
    String dir = text.trim();
    if (!dir.isEmpty() && !dir.startsWith("/") && !dir.matches("[A-Za-z][A-Za-z0-9+.-]*:.*")) {
      throw new IllegalArgumentException(
          "must be an absolute path or a URI such as s3://bucket/savepoints");
    }
    return dir;
  }

  private NodeOptions() {}
}
