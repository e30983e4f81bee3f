package dev.agentfactory.edge.model;

/**
 * Something that answers chat requests: a hosted or local OpenAI-compatible server ({@link
 * OpenAiCompatibleProvider}) or an offline scripted policy ({@link ScriptedPolicy}). The session
 * engine treats every provider alike.
 *
 * <pre>{@code
 * provider.stream(request).response()
 *     .onSuccess(r -> LOG.info("{} tokens, {}", r.usage().totalTokens(), r.finishReason()))
 *     .onFailure(e -> LOG.warn("model failed: {}", ((ModelException) e).code()));
 * }</pre>
 */
public interface ModelProvider {

  /** The provider's name as it appears in specs and events, e.g. {@code openai}. */
  String name();

  /** True when answers do not come from a real model. */
  default boolean scripted() {
    return false;
  }

  /**
   * Starts a model call when the returned stream gets a handler. Never throws: every failure,
   * including invalid requests and unresolvable secrets, arrives through the stream.
   */
  ModelStream stream(ChatRequest request);

  /** A provider whose every call fails with {@code error}, sending nothing anywhere. */
  static ModelProvider failing(io.vertx.core.Vertx vertx, String name, ModelException error) {
    return new ModelProvider() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public ModelStream stream(ChatRequest request) {
        return new BufferedModelStream(vertx.getOrCreateContext(), out -> out.fail(error));
      }
    };
  }
}
