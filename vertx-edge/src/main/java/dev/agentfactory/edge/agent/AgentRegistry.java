package dev.agentfactory.edge.agent;

import dev.agentfactory.sandbox.template.TemplateCatalog;
import io.vertx.core.Future;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Agents, their immutable versions and deployments. A new agent starts at {@code v1}, deployed as
 * stable; later versions are added, then deployed (optionally as a canary), promoted or rolled
 * back. Sessions ask {@link #resolve} which version serves them.
 *
 * <p>The node's <em>built-in</em> agents (given to the constructor) are offered to every tenant
 * that has no agent of the same name: listed marked {@link Agent#builtIn()}, resolved as their one
 * version {@code v1}, read-only (adding a version or changing the deployment is a {@code
 * conflict}). They live in memory, never in the store, so a tenant's own agent of that name,
 * created like any other, serves instead, and one tenant can never change what another gets.
 *
 * <pre>{@code
 * registry.create("default", codec.readResource("agents/math.json"))
 *     .compose(agent -> registry.addVersion("default", betterMath))
 *     .compose(v2 -> registry.deploy(AgentRef.of("math"), 1,
 *         Optional.of(new Deployment.Canary(v2.number(), 10))));
 * registry.resolve(AgentRef.of("math"), sessionId).onSuccess(version -> start(version.spec()));
 * }</pre>
 */
public final class AgentRegistry {

  /** How often an add that lost a race with another node's add is tried in all. */
  static final int ADD_ATTEMPTS = 3;

  private final AgentStore store;
  private final AgentSpecCodec codec = new AgentSpecCodec();
  private final Clock clock;

  /** Versions never change, so every one read is kept. */
  private final Map<VersionKey, AgentVersion> versions = new ConcurrentHashMap<>();

  private record VersionKey(AgentRef agent, int number) {}

  /** The checks a new spec must pass: known sandbox template, egress within it, MCP URLs. */
  private final SpecAdmission admission;

  /** The built-in agents, offered to every tenant that has no agent of the same name. */
  private final BuiltInAgents builtIns;

  /** A registry whose agents may name the built-in sandbox templates. */
  public AgentRegistry(AgentStore store) {
    this(store, Clock.systemUTC());
  }

  public AgentRegistry(AgentStore store, Clock clock) {
    this(store, clock, TemplateCatalog.builtIn());
  }

  /**
   * A registry whose agents may name the sandbox templates of {@code templates} (the node's, where
   * it has more than the built-in ones), each with at most that template's egress.
   */
  public AgentRegistry(AgentStore store, Clock clock, TemplateCatalog templates) {
    this(store, clock, templates, List.of());
  }

  /**
   * As {@link #AgentRegistry(AgentStore, Clock, TemplateCatalog)}, with {@code builtIns} offered
   * read-only to every tenant that has no agent of the same name.
   *
   * @throws AgentException ({@code invalid_spec}) if one names a template not in {@code templates}
   *     or egress its template does not allow
   */
  public AgentRegistry(
      AgentStore store, Clock clock, TemplateCatalog templates, List<AgentSpec> builtIns) {
    this.store = store;
    this.clock = clock;
    this.admission = new SpecAdmission(templates);
    this.builtIns = new BuiltInAgents(clock.instant());
    for (AgentSpec spec : builtIns) {
      AgentException refused = admission.refusal(spec);
      if (refused != null) {
        throw refused;
      }
      this.builtIns.add(spec, codec.contentHash(spec));
    }
  }

  /** Creates the agent named in {@code spec} with {@code v1} deployed; conflict if it exists. */
  public Future<Agent> create(String tenant, AgentSpec spec) {
    AgentException refused = admission.refusal(spec);
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    AgentRef ref = new AgentRef(tenant, spec.name());
    AgentVersion first = new AgentVersion(ref, 1, codec.contentHash(spec), spec, clock.instant());
    Deployment deployment =
        new Deployment(ref, 1, Optional.empty(), OptionalInt.empty(), 1, clock.instant());
    return store
        .create(first, deployment)
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof AgentException a && a.code() == AgentException.Code.CONFLICT
                        ? AgentException.conflict("agent " + ref + " already exists")
                        : e));
  }

  /**
   * Adds {@code spec} as the next version of the agent it names (not deployed), or returns the
   * existing version with identical content: also when another node added the same content at the
   * same moment. An add that lost the race for a version number to another node is tried again (up
   * to {@value #ADD_ATTEMPTS} times in all; then {@code conflict}).
   */
  public Future<AgentVersion> addVersion(String tenant, AgentSpec spec) {
    AgentException refused = admission.refusal(spec);
    if (refused != null) {
      return Future.failedFuture(refused);
    }
    AgentRef ref = new AgentRef(tenant, spec.name());
    return refuseBuiltIn(ref)
        .compose(v -> addVersion(ref, spec, codec.contentHash(spec), ADD_ATTEMPTS));
  }

  private Future<AgentVersion> addVersion(
      AgentRef ref, AgentSpec spec, String contentHash, int attempts) {
    // Nodes sharing a store number versions in their own transactions: the loser of a race for
    // a number (or for the same content) reads again, and finds the winner's version or the next
    // number.
    return store
        .addVersion(ref, spec, contentHash)
        .recover(
            e -> {
              if (!(e instanceof AgentException a && a.code() == AgentException.Code.CONFLICT)) {
                return Future.failedFuture(e);
              }
              if (attempts > 1) {
                return addVersion(ref, spec, contentHash, attempts - 1);
              }
              return Future.failedFuture(
                  AgentException.conflict(
                      "versions of agent "
                          + ref
                          + " were added on other nodes at the same time "
                          + ADD_ATTEMPTS
                          + " times in a row; retry"));
            });
  }

  /**
   * Creates the agent, or adds the spec as a version if it differs from every existing one. For
   * seeding built-in agents at start-up; does not change what is deployed.
   */
  public Future<AgentVersion> apply(String tenant, AgentSpec spec) {
    // Nodes sharing a store apply the built-in agents at the same start-up: the loser of a
    // create or version race reads again and finds the winner's version (same content).
    return applyOnce(tenant, spec)
        .recover(
            e ->
                e instanceof AgentException a && a.code() == AgentException.Code.CONFLICT
                    ? applyOnce(tenant, spec)
                    : Future.failedFuture(e));
  }

  private Future<AgentVersion> applyOnce(String tenant, AgentSpec spec) {
    AgentRef ref = new AgentRef(tenant, spec.name());
    return store
        .agent(ref)
        .compose(
            existing ->
                existing.isPresent()
                    ? addVersion(tenant, spec)
                    : create(tenant, spec).compose(agent -> version(ref, 1)));
  }

  /** The tenant's own agent of that name, else the built-in one of that name, else not found. */
  public Future<Agent> get(AgentRef ref) {
    return store
        .agent(ref)
        .compose(
            found ->
                found
                    .or(() -> builtIns.agent(ref))
                    .map(Future::succeededFuture)
                    .orElseGet(
                        () -> Future.failedFuture(AgentException.notFound("no agent " + ref))));
  }

  /** The tenant's agents and the built-in ones it has no agent of the same name for, by name. */
  public Future<List<Agent>> list(String tenant) {
    return list(tenant, Optional.empty(), Integer.MAX_VALUE);
  }

  /**
   * As {@link #list(String)}, only up to {@code limit} agents, those named after {@code after} if
   * given. The store is asked for one page of the tenant's own; the built-in ones, in memory, are
   * merged in. A built-in name beyond the last own one of a full page is past this page anyway, so
   * whether the tenant owns that name is known for every built-in agent the page can hold.
   */
  public Future<List<Agent>> list(String tenant, Optional<String> after, int limit) {
    return store
        .agents(tenant, after, limit)
        .map(
            own -> {
              Set<String> owned = own.stream().map(a -> a.ref().name()).collect(Collectors.toSet());
              List<Agent> all = new ArrayList<>(own);
              for (String name : builtIns.names()) {
                if (!owned.contains(name) && after.map(a -> name.compareTo(a) > 0).orElse(true)) {
                  all.add(builtIns.agent(new AgentRef(tenant, name)).orElseThrow());
                }
              }
              all.sort(Comparator.comparing(a -> a.ref().name()));
              return all.size() > limit ? all.subList(0, limit) : all;
            });
  }

  /** All versions of an agent, oldest first; a built-in agent's one. */
  public Future<List<AgentVersion>> versions(AgentRef ref) {
    return get(ref)
        .compose(
            agent ->
                agent.builtIn()
                    ? Future.succeededFuture(List.of(builtIns.version(ref)))
                    : store.versions(ref));
  }

  /** A version of the tenant's own agent (a built-in agent's is served by {@link #resolve}). */
  public Future<AgentVersion> version(AgentRef ref, int number) {
    AgentVersion cached = versions.get(new VersionKey(ref, number));
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return store
        .version(ref, number)
        .compose(
            found -> {
              if (found.isEmpty()) {
                return Future.failedFuture(
                    AgentException.notFound("agent " + ref + " has no version v" + number));
              }
              versions.put(new VersionKey(ref, number), found.get());
              return Future.succeededFuture(found.get());
            });
  }

  /**
   * Makes {@code stableVersion} the stable version and sets (or clears) the canary. The previous
   * stable version is remembered for {@link #rollback} when the stable version changes.
   */
  public Future<Deployment> deploy(
      AgentRef ref, int stableVersion, Optional<Deployment.Canary> canary) {
    return deploy(ref, stableVersion, canary, OptionalLong.empty());
  }

  /**
   * As {@link #deploy(AgentRef, int, Optional)}, only if the deployment is still at {@code
   * expectedRevision} when given (the revision the caller last read): else {@code conflict} naming
   * the current one, and nothing changes.
   */
  public Future<Deployment> deploy(
      AgentRef ref,
      int stableVersion,
      Optional<Deployment.Canary> canary,
      OptionalLong expectedRevision) {
    // An unknown agent is "no agent", as promote and rollback answer, not "no version v1".
    return own(ref).compose(agent -> deployOwn(ref, stableVersion, canary, expectedRevision));
  }

  private Future<Deployment> deployOwn(
      AgentRef ref,
      int stableVersion,
      Optional<Deployment.Canary> canary,
      OptionalLong expectedRevision) {
    Future<AgentVersion> stableExists = versionNamed(ref, stableVersion, "stable");
    Future<?> canaryExists =
        canary
            .map(c -> (Future<?>) versionNamed(ref, c.version(), "canary.version"))
            .orElse(Future.succeededFuture());
    return Future.all(stableExists, canaryExists)
        .compose(v -> get(ref))
        .compose(
            agent -> {
              Deployment current = agent.deployment();
              AgentException stale = stale(current, expectedRevision);
              if (stale != null) {
                return Future.failedFuture(stale);
              }
              OptionalInt previous =
                  current.stableVersion() == stableVersion
                      ? current.previousStable()
                      : OptionalInt.of(current.stableVersion());
              return update(current, stableVersion, canary, previous);
            });
  }

  /** {@link #version}, whose not-found names the request's {@code field} that asked for it. */
  private Future<AgentVersion> versionNamed(AgentRef ref, int number, String field) {
    return version(ref, number)
        .recover(
            e ->
                Future.failedFuture(
                    e instanceof AgentException a && a.code() == AgentException.Code.NOT_FOUND
                        ? new AgentException(a.code(), a.getMessage(), field, null)
                        : e));
  }

  /** The canary becomes the stable version; the old stable one is kept for rollback. */
  public Future<Deployment> promote(AgentRef ref) {
    return promote(ref, OptionalLong.empty());
  }

  /**
   * {@link #promote(AgentRef)} if the deployment is still at {@code expectedRevision}, if given.
   */
  public Future<Deployment> promote(AgentRef ref, OptionalLong expectedRevision) {
    return own(ref)
        .compose(
            agent -> {
              Deployment current = agent.deployment();
              AgentException stale = stale(current, expectedRevision);
              if (stale != null) {
                return Future.failedFuture(stale);
              }
              if (current.canary().isEmpty()) {
                return Future.failedFuture(
                    AgentException.invalidRequest("canary", "agent " + ref + " has no canary"));
              }
              return update(
                  current,
                  current.canary().get().version(),
                  Optional.empty(),
                  OptionalInt.of(current.stableVersion()));
            });
  }

  /**
   * Undoes the last change: drops the canary if there is one, else returns to the previous stable
   * version (one step; rolling back twice needs an explicit {@link #deploy}).
   */
  public Future<Deployment> rollback(AgentRef ref) {
    return rollback(ref, OptionalLong.empty());
  }

  /**
   * {@link #rollback(AgentRef)} if the deployment is still at {@code expectedRevision}, if given.
   */
  public Future<Deployment> rollback(AgentRef ref, OptionalLong expectedRevision) {
    return own(ref)
        .compose(
            agent -> {
              Deployment current = agent.deployment();
              AgentException stale = stale(current, expectedRevision);
              if (stale != null) {
                return Future.failedFuture(stale);
              }
              if (current.canary().isPresent()) {
                return update(
                    current, current.stableVersion(), Optional.empty(), current.previousStable());
              }
              if (current.previousStable().isEmpty()) {
                return Future.failedFuture(
                    AgentException.invalidRequest(
                        "deployment", "agent " + ref + " has nothing to roll back to"));
              }
              return update(
                  current,
                  current.previousStable().getAsInt(),
                  Optional.empty(),
                  OptionalInt.empty());
            });
  }

  /**
   * The version that serves the session {@code sessionKey}, by the agent's deployment: the tenant's
   * own agent of that name, else the built-in one's only version.
   */
  public Future<AgentVersion> resolve(AgentRef ref, String sessionKey) {
    return get(ref)
        .compose(
            agent ->
                agent.builtIn()
                    ? Future.succeededFuture(builtIns.version(ref))
                    : version(ref, agent.deployment().route(sessionKey)));
  }

  /** The tenant's own agent; {@code conflict} for a built-in one, which is read-only. */
  private Future<Agent> own(AgentRef ref) {
    return get(ref)
        .compose(
            agent ->
                agent.builtIn()
                    ? Future.failedFuture(BuiltInAgents.readOnly(ref))
                    : Future.succeededFuture(agent));
  }

  /**
   * Fails with {@code conflict} if {@code ref} names a built-in agent and the tenant has no agent
   * of its own by that name; reads the store only for built-in names.
   */
  private Future<Void> refuseBuiltIn(AgentRef ref) {
    if (!builtIns.has(ref.name())) {
      return Future.succeededFuture();
    }
    return store
        .agent(ref)
        .compose(
            found ->
                found.isPresent()
                    ? Future.<Void>succeededFuture()
                    : Future.failedFuture(BuiltInAgents.readOnly(ref)));
  }

  /**
   * A {@code conflict} (field {@code revision}) naming the current revision if the caller expected
   * another; null if it expected none or this one. The update that follows is compare-and-set on
   * the same revision, so a change between this read and the write is a conflict too.
   */
  private static AgentException stale(Deployment current, OptionalLong expectedRevision) {
    if (expectedRevision.isEmpty() || expectedRevision.getAsLong() == current.revision()) {
      return null;
    }
    return new AgentException(
        AgentException.Code.CONFLICT,
        "the deployment of agent "
            + current.agent().name()
            + " is at revision "
            + current.revision()
            + ", not "
            + expectedRevision.getAsLong()
            + ": it changed since it was read; read it again (GET /v1/agents/"
            + current.agent().name()
            + ") and retry",
        "revision",
        null);
  }

  private Future<Deployment> update(
      Deployment current,
      int stable,
      Optional<Deployment.Canary> canary,
      OptionalInt previousStable) {
    Deployment next =
        new Deployment(
            current.agent(),
            stable,
            canary,
            previousStable,
            current.revision() + 1,
            clock.instant());
    return store.updateDeployment(current.revision(), next);
  }
}
