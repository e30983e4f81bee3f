package dev.agentfactory.edge.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.json.schema.JsonSchemaValidationException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.common.dsl.SchemaType;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.contract.Parameter;
import io.vertx.openapi.contract.Path;
import io.vertx.openapi.validation.RequestParameter;
import io.vertx.openapi.validation.RequestUtils;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.ValidatorErrorType;
import io.vertx.openapi.validation.ValidatorException;
import io.vertx.openapi.validation.impl.RequestValidatorImpl;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the node's HTTP router from its OpenAPI contract ({@code api/openapi.json}, also served at
 * {@code /openapi.json}): every operation in the contract must have a handler and every request is
 * validated against it before the handler runs, so a route cannot exist undocumented.
 */
public final class ApiRouter {

  private static final Logger LOG = LoggerFactory.getLogger(ApiRouter.class);
  static final String CONTRACT = "api/openapi.json";

  /**
   * Upgrade requests are not validated by the contract router, which validates on a worker thread:
   * while it waits, the upgrade request is read to its end and can no longer be upgraded. Their
   * parameters are validated on the event loop instead ({@link #validateParameters}); they have no
   * body.
   */
  static final Set<String> WEBSOCKET_OPERATIONS =
      Set.of("openSession", "resumeSession", "streamEvalLive");

  /**
   * Whether the string parameters of {@code operation} are validated as text on the event loop, as
   * the upgrade requests' are ({@link #validateParameters}): those of every operation without a
   * body. The contract router reads a string parameter that is not a plain word as JSON first and
   * as text only if that fails: {@code "x"} (quotes included) was checked as {@code x} while the
   * handler got the quotes (a job id in quotes passed its pattern and failed the node with 500),
   * {@code -1} was refused as a number and a backslash that starts no JSON escape as undecodable.
   * Operations with a body are validated by the contract router, parameters and body together.
   */
  static boolean validatesTextParameters(Operation operation) {
    return operation.getRequestBody() == null
        && operation.getParameters().stream().anyMatch(p -> p.getSchemaType() == SchemaType.STRING);
  }

  static final int MAX_BODY_BYTES = 64 * 1024;

  /** Marks a HEAD request routed as the GET of its path, so it is rerouted once. */
  private static final String HEAD_AS_GET = "af.headAsGet";

  private static final Pattern PARAMETER =
      Pattern.compile("(?:path|query|header|cookie) parameter ([A-Za-z0-9_.-]+)");

  private ApiRouter() {}

  /** The contract as text, exactly as served. */
  public static String contractText() {
    try (InputStream in = ApiRouter.class.getClassLoader().getResourceAsStream(CONTRACT)) {
      if (in == null) {
        throw new IllegalStateException(CONTRACT + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * @param preHandler runs before validation on every route (authentication, rate limits)
   * @param operations a handler per operationId of the contract
   */
  public static Router create(
      Vertx vertx,
      Handler<RoutingContext> preHandler,
      Map<String, Handler<RoutingContext>> operations) {
    OpenAPIContract contract =
        OpenAPIContract.from(vertx, new JsonObject(contractText()))
            .toCompletionStage()
            .toCompletableFuture()
            .join();
    BodyHandler bodies = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
    RouterBuilder builder = RouterBuilder.create(vertx, contract, new JsonContentType());
    // first: every handler after it may decode the path or the query, which throws on a bad escape
    builder.rootHandler(PercentEscapes.HANDLER);
    // before authentication reads ?access_token= and the routes read theirs: one value each
    builder.rootHandler(RepeatedParameters.HANDLER);
    builder.rootHandler(
        ctx -> {
          HttpMethod method = ctx.request().method();
          if (method == HttpMethod.POST || method == HttpMethod.PUT || method == HttpMethod.PATCH) {
            bodies.handle(ctx);
          } else if (method == HttpMethod.HEAD
              && ctx.get(HEAD_AS_GET) == null
              && contract.findOperation(ctx.request().path(), HttpMethod.GET) != null) {
            // RFC 9110 9.3.2: HEAD is GET without the body (Vert.x sends no body to a HEAD), e.g.
            // a load balancer's HEAD /health or a download client asking a file's size
            ctx.put(HEAD_AS_GET, true);
            ctx.reroute(HttpMethod.GET, ctx.request().uri());
          } else {
            ctx.next();
          }
        });
    builder.rootHandler(preHandler);
    RequestValidatorImpl parameters = new RequestValidatorImpl(vertx, contract);
    Set<String> unused = new HashSet<>(operations.keySet());
    for (OpenAPIRoute route : builder.getRoutes()) {
      String id = route.getOperation().getOperationId();
      Handler<RoutingContext> handler = operations.get(id);
      if (handler == null) {
        throw new IllegalStateException("no handler for operation " + id + " of " + CONTRACT);
      }
      unused.remove(id);
      boolean websocket = WEBSOCKET_OPERATIONS.contains(id);
      if (websocket || validatesTextParameters(route.getOperation())) {
        Operation operation = route.getOperation();
        if (operation.getRequestBody() != null) {
          throw new IllegalStateException("operation " + id + " validated here cannot have a body");
        }
        route.setDoValidation(false);
        route.addHandler(ctx -> validateParameters(ctx, contract, parameters, operation));
      }
      if (!websocket && JsonAccept.checks(route.getOperation())) {
        route.addHandler(JsonAccept::check);
      }
      route.addHandler(handler);
    }
    if (!unused.isEmpty()) {
      throw new IllegalStateException("handlers for operations not in " + CONTRACT + ": " + unused);
    }
    Router router = builder.createRouter();
    router.route().failureHandler(ApiRouter::failure);
    router.errorHandler(
        404,
        ctx ->
            ApiErrors.send(
                ctx,
                404,
                "not_found",
                "no route " + ctx.request().path() + " (see /openapi.json)",
                null));
    router.errorHandler(
        405,
        ctx -> {
          // RFC 9110 15.5.6: a 405 lists the methods the resource has
          Path path = contract.findPath(ctx.request().path());
          if (path != null) {
            ctx.response()
                .putHeader(
                    "allow",
                    path.getOperations().stream()
                        .map(o -> o.getHttpMethod().name())
                        .flatMap(m -> m.equals("GET") ? Stream.of(m, "HEAD") : Stream.of(m))
                        .sorted()
                        .collect(Collectors.joining(", ")));
          }
          ApiErrors.send(
              ctx,
              405,
              "method_not_allowed",
              ctx.request().method() + " is not allowed here",
              null);
        });
    return router;
  }

  /**
   * Validates the path, query, header and cookie parameters of a request to {@code operation}
   * against the contract, at once on the calling thread; a violation fails the request as the
   * contract router's validation would (400 naming the parameter). A string parameter is validated
   * as the text it came as ({@link #validatesTextParameters}).
   */
  private static void validateParameters(
      RoutingContext ctx,
      OpenAPIContract contract,
      RequestValidatorImpl validator,
      Operation operation) {
    // Without a request body in the operation, extracting reads nothing and is complete at once.
    Future<ValidatableRequest> extracted = RequestUtils.extract(ctx.request(), operation);
    if (extracted.failed()) {
      ctx.fail(400, extracted.cause());
      return;
    }
    ValidatableRequest request = extracted.result();
    try {
      for (Parameter parameter : operation.getParameters()) {
        Map<String, RequestParameter> values =
            switch (parameter.getIn()) {
              case PATH -> request.getPathParameters();
              case QUERY -> request.getQuery();
              case HEADER -> request.getHeaders();
              case COOKIE -> request.getCookies();
            };
        RequestParameter value = values.get(parameter.getName());
        if (parameter.getSchemaType() == SchemaType.STRING && value != null && !value.isNull()) {
          validateText(contract, parameter, value.getString());
        } else {
          validator.validateParameter(parameter, value);
        }
      }
    } catch (ValidatorException invalid) {
      ctx.fail(400, invalid);
      return;
    }
    ctx.next();
  }

  /** Validates a string parameter's text against its schema, as it came (no JSON decoding). */
  private static void validateText(OpenAPIContract contract, Parameter parameter, String text) {
    OutputUnit result =
        contract.getSchemaRepository().validator(parameter.getSchema()).validate(text);
    try {
      result.checkValidity();
    } catch (JsonSchemaValidationException e) {
      throw SchemaValidationException.createErrorFromOutputUnitType(parameter, result, e);
    }
  }

  private static void failure(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    // The contract router reports validation failures wrapped in a 400 HttpException.
    if (failure instanceof HttpException http && http.getCause() != null) {
      failure = http.getCause();
    }
    if (failure instanceof JsonContentType.Unsupported unsupported) {
      ApiErrors.send(ctx, 415, "unsupported_media_type", unsupported.getMessage(), null);
    } else if (failure instanceof JsonContentType.RepeatedField repeated) {
      ApiErrors.send(ctx, 400, "invalid_field", repeated.getMessage(), repeated.field);
    } else if (failure instanceof SchemaValidationException invalid
        && parameterOf(invalid.getMessage()) == null
        && bodyIsJsonButNotAnObject(ctx)) {
      // Every body of the contract is an object: a body that is JSON but not one has no field to
      // name (docs/protocol.md, feedback).
      ApiErrors.send(ctx, 400, "malformed_json", "the request body is not a JSON object", null);
    } else if (failure instanceof SchemaValidationException invalid) {
      OutputUnit leaf = innermost(invalid.getOutputUnit());
      // A body field by its location; a path or query parameter by its name.
      String field = parameterOf(invalid.getMessage());
      if (field == null && leaf != null) {
        field = fieldOf(leaf);
      }
      // The message of the same leaf the field comes from (the exception's own may be another's).
      String reason =
          leaf != null && leaf.getError() != null && !leaf.getError().isBlank()
              ? leaf.getError()
              : invalid.getMessage();
      ApiErrors.send(
          ctx, 400, "invalid_field", (field == null ? "request" : field) + ": " + reason, field);
    } else if (failure instanceof ValidatorException invalid
        && invalid.type() == ValidatorErrorType.ILLEGAL_VALUE
        && bodyIsNotJson(ctx)) {
      ApiErrors.send(ctx, 400, "malformed_json", "the request body is not valid JSON", null);
    } else if (failure instanceof ValidatorException invalid
        && invalid.type() != ValidatorErrorType.UNSUPPORTED_VALUE_FORMAT
        && parameterOf(invalid.getMessage()) != null) {
      // A parameter that is missing or cannot be read: the request's fault, about one field.
      String field = parameterOf(invalid.getMessage());
      String reason =
          invalid.type() == ValidatorErrorType.MISSING_REQUIRED_PARAMETER
              ? "is required and missing"
              : invalid.getMessage();
      ApiErrors.send(ctx, 400, "invalid_field", field + ": " + reason, field);
    } else if (failure instanceof ValidatorException && bodyIsEmpty(ctx)) {
      // every body of the API is an object, and an absent one is no object either
      ApiErrors.send(
          ctx, 400, "malformed_json", "the request body is empty: send a JSON object", null);
    } else if (failure instanceof ValidatorException invalid) {
      ApiErrors.send(
          ctx, 400, "invalid_request", invalid.getMessage(), parameterOf(invalid.getMessage()));
    } else if (ctx.statusCode() == 413) {
      ApiErrors.send(
          ctx, 413, "payload_too_large", "request body over " + MAX_BODY_BYTES + " bytes", null);
    } else if (ctx.statusCode() == 404) {
      // A target the router cannot match at all (no leading '/', CONNECT's host:port, OPTIONS *)
      // fails here, not in the 404 error handler: the same answer, not 404 with bad_request.
      ApiErrors.send(
          ctx, 404, "not_found", "no route " + ctx.request().uri() + " (see /openapi.json)", null);
    } else if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
      ApiErrors.send(ctx, ctx.statusCode(), "bad_request", "the request cannot be served", null);
    } else {
      LOG.error("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
      ApiErrors.send(ctx, 500, "internal_error", "the node failed to serve this request", null);
    }
  }

  /**
   * Whether the request has a body that does not parse as JSON: decided on the body itself, not on
   * the validator's message text, which may change between Vert.x versions.
   */
  private static boolean bodyIsNotJson(RoutingContext ctx) {
    io.vertx.core.buffer.Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || body.length() == 0) {
      return false;
    }
    try {
      io.vertx.core.json.Json.decodeValue(body);
      return false;
    } catch (io.vertx.core.json.DecodeException e) {
      return true;
    }
  }

  /** Whether a request of a method that carries a body (POST, PUT, PATCH) came without one. */
  private static boolean bodyIsEmpty(RoutingContext ctx) {
    io.vertx.core.http.HttpMethod method = ctx.request().method();
    boolean carries =
        method == io.vertx.core.http.HttpMethod.POST
            || method == io.vertx.core.http.HttpMethod.PUT
            || method == io.vertx.core.http.HttpMethod.PATCH;
    io.vertx.core.buffer.Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    return carries && (body == null || body.toString().isBlank());
  }

  /** Whether the request has a body that parses as JSON but is not an object. */
  private static boolean bodyIsJsonButNotAnObject(RoutingContext ctx) {
    io.vertx.core.buffer.Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || body.length() == 0) {
      return false;
    }
    try {
      return !(io.vertx.core.json.Json.decodeValue(body) instanceof JsonObject);
    } catch (io.vertx.core.json.DecodeException e) {
      return false;
    }
  }

  /** The parameter a validator message names ("The value of path parameter id is ..."). */
  static String parameterOf(String message) {
    if (message == null) {
      return null;
    }
    Matcher m = PARAMETER.matcher(message);
    return m.find() ? m.group(1) : null;
  }

  /**
   * The error about the innermost value. A violation inside an object is reported at every
   * enclosing property too ("Property "canary" does not match schema"), so the deepest instance
   * location names the field ({@code canary.version}); of the errors there, one of a keyword about
   * the value itself ({@code maximum}, {@code type}) rather than of the one applying schemas to its
   * parts ({@code properties}, {@code additionalProperties}).
   */
  private static OutputUnit innermost(OutputUnit unit) {
    List<OutputUnit> leaves = new ArrayList<>();
    leaves(unit, leaves);
    OutputUnit best = null;
    for (OutputUnit leaf : leaves) {
      if (best == null
          || depth(leaf) > depth(best)
          || (depth(leaf) == depth(best) && applicator(best) && !applicator(leaf))) {
        best = leaf;
      }
    }
    return best;
  }

  private static void leaves(OutputUnit unit, List<OutputUnit> into) {
    if (unit == null) {
      return;
    }
    if (unit.getErrors() == null || unit.getErrors().isEmpty()) {
      into.add(unit);
    } else {
      unit.getErrors().forEach(e -> leaves(e, into));
    }
  }

  /** "#/canary/version" (or "/canary/version") is 2 deep, the document itself 0. */
  private static int depth(OutputUnit unit) {
    String location = pointer(unit);
    return location.isEmpty() ? 0 : (int) location.chars().filter(c -> c == '/').count();
  }

  private static boolean applicator(OutputUnit unit) {
    String keyword = unit.getKeywordLocation();
    return keyword != null
        && (keyword.endsWith("/properties")
            || keyword.endsWith("/additionalProperties")
            || keyword.endsWith("/patternProperties")
            || keyword.endsWith("/items"));
  }

  /** The instance location as a JSON pointer: "/canary/version", "" for the document. */
  private static String pointer(OutputUnit unit) {
    String location = unit.getInstanceLocation();
    if (location == null) {
      return "";
    }
    return location.startsWith("#") ? location.substring(1) : location;
  }

  /**
   * "/tenant" becomes "tenant", "/canary/version" "canary.version"; a missing required property is
   * named from the message.
   */
  private static String fieldOf(OutputUnit unit) {
    String location = pointer(unit);
    if (location.startsWith("/") && location.length() > 1) {
      return location.substring(1).replace('/', '.');
    }
    String error = unit.getError();
    if (error != null) {
      int start = error.indexOf('"');
      int end = error.indexOf('"', start + 1);
      if (start >= 0 && end > start) {
        return error.substring(start + 1, end);
      }
    }
    return null;
  }

  /**
   * Whether the request came as a HEAD, answered as the GET of its path: after the reroute the
   * request's method reads GET, and a handler that streams a file must not leave the size out.
   */
  public static boolean isHead(RoutingContext ctx) {
    return ctx.get(HEAD_AS_GET) != null;
  }
}
