package dev.agentfactory.edge.api;

import dev.agentfactory.edge.protocol.RepeatedFields;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ValidatableRequest;
import io.vertx.openapi.validation.impl.ValidatableRequestImpl;
import java.util.Locale;
import java.util.Set;

/**
 * Extracts a request for the contract's validator after checking the media type of its body: every
 * body of the API is {@code application/json}. Media types are case-insensitive and may carry
 * parameters (RFC 9110 §8.3.1), which the validator of Vert.x 5.0 does not allow for (it matches
 * the contract's {@code application/json} by case-sensitive prefix, and refuses anything else as a
 * 400), so a JSON body in any spelling reaches it as plain {@code application/json}; a body of
 * another media type, or with none, fails with {@link Unsupported}, which the router answers 415.
 */
final class JsonContentType implements RequestExtractor {

  static final String JSON = "application/json";

  /** Why a request body's media type is refused; the message says what came and what is wanted. */
  static final class Unsupported extends RuntimeException {
    Unsupported(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * A body that gives a field twice, or a query a parameter ({@link RepeatedParameters}); the
   * message names the field in dotted form.
   */
  static final class RepeatedField extends RuntimeException {
    final String field;

    RepeatedField(String field) {
      super(field + " is given more than once", null, false, false);
      this.field = field;
    }
  }

  /** Operations whose handlers read the body strictly themselves, answering in their own codes. */
  private static final Set<String> OWN_REPEAT_CHECK = Set.of("createAgent", "addAgentVersion");

  private final RequestExtractor bodies = RequestExtractor.withBodyHandler();

  @Override
  public Future<ValidatableRequest> extractValidatableRequest(
      RoutingContext ctx, Operation operation) {
    if (operation.getRequestBody() == null) {
      return bodies.extractValidatableRequest(ctx, operation);
    }
    String header = ctx.request().getHeader("content-type");
    boolean hasBody = ctx.body() != null && ctx.body().length() > 0;
    String refusal = refusal(header, hasBody);
    if (refusal != null) {
      return Future.failedFuture(new Unsupported(refusal));
    }
    // before the validator, which reads the body as Vert.x JSON: the last of two values wins there
    String repeated =
        hasBody && !OWN_REPEAT_CHECK.contains(operation.getOperationId())
            ? RepeatedFields.firstIn(ctx.body().asString())
            : null;
    if (repeated != null) {
      return Future.failedFuture(new RepeatedField(repeated));
    }
    return bodies
        .extractValidatableRequest(ctx, operation)
        .map(
            request ->
                header == null
                    ? request
                    : new ValidatableRequestImpl(
                        request.getCookies(),
                        request.getHeaders(),
                        request.getPathParameters(),
                        request.getQuery(),
                        request.getBody(),
                        JSON));
  }

  /**
   * Why a body with the Content-Type {@code header} (null: none) is refused, or null if it is JSON
   * in UTF-8. With no body and no header there is nothing to refuse: the validator answers that the
   * body is missing.
   */
  static String refusal(String header, boolean hasBody) {
    if (header == null || header.isBlank()) {
      return hasBody ? "the request body has no Content-Type: send Content-Type: " + JSON : null;
    }
    String[] parts = header.split(";");
    String type = parts[0].trim();
    if (!type.equalsIgnoreCase(JSON)) {
      return "the request body is '" + header.trim() + "': send Content-Type: " + JSON;
    }
    for (int i = 1; i < parts.length; i++) {
      String parameter = parts[i].trim();
      int eq = parameter.indexOf('=');
      if (eq > 0 && parameter.substring(0, eq).trim().equalsIgnoreCase("charset")) {
        String charset = unquote(parameter.substring(eq + 1).trim());
        if (!charset.toLowerCase(Locale.ROOT).equals("utf-8")) {
          return "the request body is in charset '"
              + charset
              + "': send JSON in UTF-8 ("
              + JSON
              + " or "
              + JSON
              + "; charset=utf-8)";
        }
      }
    }
    return null;
  }

  private static String unquote(String value) {
    return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
        ? value.substring(1, value.length() - 1)
        : value;
  }
}
