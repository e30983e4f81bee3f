package dev.agentfactory.edge.agent;

import dev.agentfactory.edge.model.ModelProvider;
import dev.agentfactory.edge.model.OpenAiCompatibleProvider;
import dev.agentfactory.edge.model.OpenAiConfig;
import dev.agentfactory.edge.model.ScriptedPolicy;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link ModelProvider} for an agent's model spec: one scripted provider, and one OpenAI-
 * compatible provider per (base URL, key reference), all sharing one HTTP client.
 */
public final class ModelProviders {

  private final Vertx vertx;
  private final HttpClientAgent http;
  private final ScriptedPolicy scripted;
  private final Map<OpenAiConfig, ModelProvider> openai = new ConcurrentHashMap<>();

  public ModelProviders(Vertx vertx) {
    this.vertx = vertx;
    this.http = OpenAiCompatibleProvider.createHttpClient(vertx);
    this.scripted = new ScriptedPolicy(vertx);
  }

  public ModelProvider forSpec(AgentSpec.ModelSpec model) {
    if (model.provider() == AgentSpec.Provider.SCRIPTED) {
      return scripted;
    }
    OpenAiConfig config = OpenAiConfig.of(model.baseUrl().orElseThrow(), model.apiKey());
    return openai.computeIfAbsent(config, c -> new OpenAiCompatibleProvider(vertx, http, c));
  }

  public Future<Void> close() {
    return http.close();
  }
}
