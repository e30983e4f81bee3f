package dev.agentfactory.edge.agent;

import dev.agentfactory.edge.api.ApiErrors;
import dev.agentfactory.edge.api.PageRequest;
import dev.agentfactory.edge.auth.Auth;
import dev.agentfactory.edge.model.SecretPolicy;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Function;

/**
 * {@code /v1/agents}: agents, their immutable versions and their deployments, per tenant (another
 * tenant's agent answers 404; the node's built-in agents are listed for every tenant without an
 * agent of that name, marked {@code "builtin": true}, and are read-only: 409). Specs are parsed
 * once by {@link AgentSpecCodec}, whose errors name the field. A spec whose {@code model.api_key}
 * the node's {@link SecretPolicy} does not allow for the tenant and base URL is refused ({@code
 * invalid_spec}).
 */
public final class AgentsHandler {

  private final AgentRegistry registry;
  private final AgentSpecCodec codec = new AgentSpecCodec();
  private final SecretPolicy secrets;

  /** With the {@link SecretPolicy#defaults() default} secret rules. */
  public AgentsHandler(AgentRegistry registry) {
    this(registry, SecretPolicy.defaults());
  }

  public AgentsHandler(AgentRegistry registry, SecretPolicy secrets) {
    this.registry = registry;
    this.secrets = secrets;
  }

  /** 201 with the agent, and {@code Location} its URL ({@code /v1/agents/NAME}). */
  public void create(RoutingContext ctx) {
    withSpec(
        ctx,
        null,
        spec ->
            registry
                .create(Auth.tenant(ctx), spec)
                .map(
                    agent -> {
                      ctx.response().putHeader("location", "/v1/agents/" + agent.ref().name());
                      return json(agent);
                    }),
        201);
  }

  /** A page of the agents by name ({@link PageRequest}: {@code limit}, {@code cursor}). */
  public void list(RoutingContext ctx) {
    PageRequest page =
        PageRequest.parse(ctx, "agents", name -> AgentSpec.SLUG.matcher(name).matches());
    if (page == null) {
      return;
    }
    reply(
        ctx,
        registry
            .list(Auth.tenant(ctx), page.after(), page.limit() + 1)
            .map(agents -> page.answer(agents, "agents", a -> a.ref().name(), this::json)),
        200);
  }

  public void get(RoutingContext ctx) {
    reply(ctx, registry.get(ref(ctx)).map(this::json), 200);
  }

  public void addVersion(RoutingContext ctx) {
    withSpec(
        ctx,
        ctx.pathParam("name"),
        spec -> registry.addVersion(Auth.tenant(ctx), spec).map(this::json),
        201);
  }

  public void versions(RoutingContext ctx) {
    reply(
        ctx,
        registry
            .versions(ref(ctx))
            .map(
                versions -> {
                  JsonArray array = new JsonArray();
                  versions.forEach(v -> array.add(json(v)));
                  return new JsonObject().put("versions", array);
                }),
        200);
  }

  public void deploy(RoutingContext ctx) {
    JsonObject body = ctx.body().asJsonObject();
    JsonObject canary = body.getJsonObject("canary");
    int stable;
    Optional<Deployment.Canary> c;
    OptionalLong revision;
    try {
      revision = revision(body);
      stable = wholeNumber(body, "stable", "stable");
      c =
          canary == null
              ? Optional.empty()
              : Optional.of(
                  new Deployment.Canary(
                      wholeNumber(canary, "version", "canary.version"),
                      wholeNumber(canary, "percent", "canary.percent")));
    } catch (AgentException e) {
      ApiErrors.send(ctx, 400, "invalid_field", e.getMessage(), e.field());
      return;
    }
    reply(ctx, registry.deploy(ref(ctx), stable, c, revision).map(this::json), 200);
  }

  /**
   * The optional {@code revision} of a deployment change: the deployment's revision the client last
   * read, which must still be current (else 409 {@code conflict}). An absent body is no revision.
   */
  private static OptionalLong revision(JsonObject body) {
    Object value = body == null ? null : body.getValue("revision");
    if (value == null) {
      return OptionalLong.empty();
    }
    if (!(value instanceof Number number)) {
      throw AgentException.invalidRequest("revision", "must be a whole number");
    }
    try {
      return OptionalLong.of(new BigDecimal(number.toString()).longValueExact());
    } catch (ArithmeticException | NumberFormatException e) {
      throw AgentException.invalidRequest(
          "revision", "must be a whole number of at most " + Long.MAX_VALUE + ", not " + number);
    }
  }

  /** The {@link #revision} of a promote or rollback, whose body is optional; null if answered. */
  private static OptionalLong optionalRevision(RoutingContext ctx) {
    try {
      return revision(ctx.body() == null ? null : ctx.body().asJsonObject());
    } catch (AgentException e) {
      ApiErrors.send(ctx, 400, "invalid_field", e.getMessage(), e.field());
      return null;
    }
  }

  /**
   * The whole number at {@code key}, or an {@link AgentException} naming {@code field}. Not {@link
   * JsonObject#getInteger}, which narrows a long: {@code "stable": 4294967298} would deploy version
   * 2. The contract bounds these fields as well; this holds however the handler is reached.
   */
  private static int wholeNumber(JsonObject json, String key, String field) {
    Object value = json.getValue(key);
    if (!(value instanceof Number number)) {
      throw AgentException.invalidRequest(field, "must be a whole number");
    }
    try {
      // exact: 2.0 is 2, 2.5 and anything beyond an int are refused
      return new BigDecimal(number.toString()).intValueExact();
    } catch (ArithmeticException | NumberFormatException e) {
      throw AgentException.invalidRequest(
          field, "must be a whole number of at most " + Integer.MAX_VALUE + ", not " + number);
    }
  }

  public void promote(RoutingContext ctx) {
    OptionalLong revision = optionalRevision(ctx);
    if (revision != null) {
      reply(ctx, registry.promote(ref(ctx), revision).map(this::json), 200);
    }
  }

  public void rollback(RoutingContext ctx) {
    OptionalLong revision = optionalRevision(ctx);
    if (revision != null) {
      reply(ctx, registry.rollback(ref(ctx), revision).map(this::json), 200);
    }
  }

  private void withSpec(
      RoutingContext ctx,
      String expectedName,
      Function<AgentSpec, Future<JsonObject>> action,
      int status) {
    AgentSpec spec;
    try {
      spec = codec.parseJson(ctx.body().asString());
    } catch (AgentException e) {
      fail(ctx, e);
      return;
    }
    if (expectedName != null && !expectedName.equals(spec.name())) {
      ApiErrors.send(
          ctx,
          400,
          "invalid_spec",
          "name is '" + spec.name() + "' but the path names agent '" + expectedName + "'",
          "name");
      return;
    }
    AgentSpec.ModelSpec model = spec.model();
    if (model.apiKey().isPresent()
        && model.baseUrl().isPresent()
        && !secrets.allows(Auth.tenant(ctx), model.apiKey().get(), model.baseUrl().get())) {
      ApiErrors.send(
          ctx,
          400,
          "invalid_spec",
          secrets.refusal(model.apiKey().get(), model.baseUrl().get()),
          "model.api_key");
      return;
    }
    reply(ctx, action.apply(spec), status);
  }

  private static void reply(RoutingContext ctx, Future<JsonObject> result, int status) {
    result
        .onSuccess(
            json ->
                ctx.response()
                    .setStatusCode(status)
                    .putHeader("content-type", "application/json")
                    .end(json.encode()))
        .onFailure(
            e -> {
              if (e instanceof AgentException agent) {
                fail(ctx, agent);
              } else {
                ctx.fail(e);
              }
            });
  }

  private static void fail(RoutingContext ctx, AgentException e) {
    String code = e.code().wire();
    switch (e.code()) {
      case NOT_FOUND -> ApiErrors.send(ctx, 404, code, e.getMessage(), e.field());
      case INVALID_SPEC, INVALID_REQUEST ->
          ApiErrors.send(ctx, 400, code, e.getMessage(), e.field());
      case CONFLICT -> ApiErrors.send(ctx, 409, code, e.getMessage(), e.field());
      case STORE_UNAVAILABLE -> ApiErrors.unavailable(ctx, code, e.getMessage(), e.field());
    }
  }

  private static AgentRef ref(RoutingContext ctx) {
    return new AgentRef(Auth.tenant(ctx), ctx.pathParam("name"));
  }

  private JsonObject json(Agent agent) {
    return new JsonObject()
        .put("name", agent.ref().name())
        .put("created_at", agent.createdAt().toString())
        .put("latest_version", agent.latestVersion())
        .put("deployment", json(agent.deployment()))
        .put("builtin", agent.builtIn());
  }

  private JsonObject json(Deployment deployment) {
    JsonObject json =
        new JsonObject()
            .put("stable", deployment.stableVersion())
            .put("revision", deployment.revision())
            .put("updated_at", deployment.updatedAt().toString());
    deployment
        .canary()
        .ifPresent(
            c ->
                json.put(
                    "canary",
                    new JsonObject().put("version", c.version()).put("percent", c.percent())));
    deployment.previousStable().ifPresent(p -> json.put("previous_stable", p));
    return json;
  }

  private JsonObject json(AgentVersion version) {
    return new JsonObject()
        .put("agent", version.agent().name())
        .put("version", version.number())
        .put("label", version.label())
        .put("content_hash", version.contentHash())
        .put("created_at", version.createdAt().toString())
        .put("spec", new JsonObject(codec.toJson(version.spec())));
  }
}
