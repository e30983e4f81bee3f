package dev.agentfactory.sandbox.egress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProxyRequestTest {

  @Test
  void connectTakesItsTargetFromTheRequestLine() throws Exception {
    ProxyRequest r =
        ProxyRequest.parse("CONNECT [::1]:8443 HTTP/1.1\r\nHost: evil.test:443\r\n\r\n");

    assertThat(r.connect()).isTrue();
    assertThat(r.host()).isEqualTo("::1");
    assertThat(r.port()).isEqualTo(8443);
  }

  @Test
  void plainRequestIsForwardedWithTheRequestLinesHostAndNoHopByHopHeaders() throws Exception {
    ProxyRequest r =
        ProxyRequest.parse(
            "GET http://Example.com:8080/a/b?c=1 HTTP/1.1\r\n"
                + "Host: evil.test\r\n"
                + "Proxy-Authorization: Basic x\r\n"
                + "Connection: keep-alive, X-Secret\r\n"
                + "X-Secret: 1\r\n"
                + "Accept: */*\r\n\r\n");

    assertThat(r.host()).isEqualTo("Example.com");
    assertThat(r.port()).isEqualTo(8080);
    assertThat(r.forwardedHead())
        .isEqualTo(
            "GET /a/b?c=1 HTTP/1.1\r\nHost: Example.com:8080\r\nAccept: */*\r\n"
                + "Connection: close\r\n\r\n");
  }

  @Test
  void defaultsPortAndPath() throws Exception {
    ProxyRequest r = ProxyRequest.parse("HEAD http://a.test?q HTTP/1.0\n\n");

    assertThat(r.port()).isEqualTo(80);
    assertThat(r.path()).isEqualTo("/?q");
  }

  @Test
  void refusesWhatItCannotDecideSafely() {
    for (String head :
        new String[] {
          "GET /relative HTTP/1.1\r\n\r\n",
          "GET https://a.test/ HTTP/1.1\r\n\r\n",
          "GET http://user@a.test/ HTTP/1.1\r\n\r\n",
          "CONNECT a.test HTTP/1.1\r\n\r\n",
          "CONNECT a.test:99999 HTTP/1.1\r\n\r\n",
          "GET http://a.test/ HTTP/1.1\r\nX: 1\r\n folded\r\n\r\n",
          "get http://a.test/ HTTP/1.1\r\n\r\n",
          "GET http://a.test/ HTTP/2\r\n\r\n"
        }) {
      assertThatThrownBy(() -> ProxyRequest.parse(head))
          .as(head)
          .isInstanceOf(ProxyRequest.BadRequest.class);
    }
  }

  @Test
  void conflictingFramingHeadersAreRefused() throws Exception {
    ProxyRequest r =
        ProxyRequest.parse(
            "POST http://a.test/ HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n");

    assertThatThrownBy(() -> r.header("content-length"))
        .isInstanceOf(ProxyRequest.BadRequest.class);
  }
}
