package dev.agentfactory.edge;

import java.net.http.HttpClient;
import java.time.Duration;

/**
 * The JDK HTTP client the edge's tests use: HTTP/1.1 only. The default client first tries an h2c
 * upgrade on {@code http://} URLs, which Vert.x accepts; one such upgraded request to {@code
 * /metrics} was seen to hang a CI run for good, so the tests do not take that path.
 */
public final class TestHttp {

  private TestHttp() {}

  public static HttpClient client() {
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10))
        .build();
  }
}
