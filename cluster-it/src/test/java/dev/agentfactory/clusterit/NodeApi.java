package dev.agentfactory.clusterit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/** The few read-only HTTP calls the tests make on a node, as its clients and operators would. */
final class NodeApi {

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();

  private final NodeContainer node;
  private final String adminKey;

  NodeApi(NodeContainer node, String adminKey) {
    this.node = node;
    this.adminKey = adminKey;
  }

  /** {@code GET /health}, whatever its status; empty if the node does not answer. */
  Optional<JsonNode> health() {
    return get("/health", false);
  }

  /** Hazelcast members this node sees, or -1 if it does not answer. */
  int members() {
    return health()
        .map(h -> h.path("components").path("hazelcast").path("detail").path("members").asInt(-1))
        .orElse(-1);
  }

  /** Sandboxes this node's pool has leased out, over all templates; -1 if it does not answer. */
  int sandboxesLeased() {
    return health()
        .map(
            h -> {
              int sum = 0;
              for (JsonNode n :
                  h.path("components").path("sandbox_pool").path("detail").path("leased")) {
                sum += n.asInt();
              }
              return sum;
            })
        .orElse(-1);
  }

  /** {@code GET /v1/admin/leases}: held_by_this_node, active_cluster_wide, members. */
  Optional<JsonNode> leases() {
    return get("/v1/admin/leases", true).filter(j -> j.has("active_cluster_wide"));
  }

  boolean ready() {
    try {
      HttpResponse<Void> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create(node.httpUrl() + "/ready"))
                  .timeout(Duration.ofSeconds(3))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Whether the node's API contract has an operation, e.g. drain, which may come later. */
  boolean hasOperation(String path, String method) {
    return get("/openapi.json", false)
        .map(d -> d.path("paths").path(path).has(method))
        .orElse(false);
  }

  /** {@code POST path} with the admin key and a JSON body; returns the status and body. */
  HttpResponse<String> post(String path, String json) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(node.httpUrl() + path))
            // a drain answers once the node's last lease ended: up to its 60 s drain timeout
            .timeout(Duration.ofSeconds(90))
            .header("authorization", "Bearer " + adminKey)
            .header("content-type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private Optional<JsonNode> get(String path, boolean admin) {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(node.httpUrl() + path)).timeout(Duration.ofSeconds(5));
    if (admin) {
      request.header("authorization", "Bearer " + adminKey);
    }
    try {
      HttpResponse<String> r = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
      return Optional.of(MAPPER.readTree(r.body()));
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
