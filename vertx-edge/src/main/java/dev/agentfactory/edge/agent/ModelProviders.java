package dev.agentfactory.edge.agent;

import dev.agentfactory.edge.model.ModelErrorCode;
import dev.agentfactory.edge.model.ModelException;
import dev.agentfactory.edge.model.ModelProvider;
import dev.agentfactory.edge.model.OpenAiCompatibleProvider;
import dev.agentfactory.edge.model.OpenAiConfig;
import dev.agentfactory.edge.model.ScriptedPolicy;
import dev.agentfactory.edge.model.SecretPolicy;
import dev.agentfactory.edge.model.SecretRef;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link ModelProvider} for an agent's model spec: one scripted provider, and one OpenAI-
 * compatible provider per (base URL, key reference), all sharing one HTTP client. A key reference
 * the node's {@link SecretPolicy} does not allow for the tenant and URL is never resolved: every
 * call of such an agent fails with {@code secret_not_allowed}.
 */
public final class ModelProviders {

  private final Vertx vertx;
  private final HttpClientAgent http;
  private final ScriptedPolicy scripted;
  private final SecretPolicy secrets;
  private final Map<OpenAiConfig, ModelProvider> openai = new ConcurrentHashMap<>();

  /** With the {@link SecretPolicy#defaults() default} secret rules. */
  public ModelProviders(Vertx vertx) {
    this(vertx, SecretPolicy.defaults());
  }

  public ModelProviders(Vertx vertx, SecretPolicy secrets) {
    this.vertx = vertx;
    this.secrets = secrets;
    this.http = OpenAiCompatibleProvider.createHttpClient(vertx);
    this.scripted = new ScriptedPolicy(vertx);
  }

  /** The provider for an agent of {@code tenant}. */
  public ModelProvider forSpec(String tenant, AgentSpec.ModelSpec model) {
    if (model.provider() == AgentSpec.Provider.SCRIPTED) {
      return scripted;
    }
    OpenAiConfig config = OpenAiConfig.of(model.baseUrl().orElseThrow(), model.apiKey());
    if (config.apiKey().isPresent()
        && !secrets.allows(tenant, config.apiKey().get(), config.baseUrl())) {
      SecretRef ref = config.apiKey().get();
      return ModelProvider.failing(
          vertx,
          "openai",
          ModelException.of(
              ModelErrorCode.SECRET_NOT_ALLOWED, secrets.refusal(ref, config.baseUrl())));
    }
    return openai.computeIfAbsent(config, c -> new OpenAiCompatibleProvider(vertx, http, c));
  }

  public Future<Void> close() {
    return http.close();
  }
}
