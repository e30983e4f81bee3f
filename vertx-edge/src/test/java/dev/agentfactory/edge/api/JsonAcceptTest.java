package dev.agentfactory.edge.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which Accept headers take the API's JSON, read as RFC 9110 §12.5.1 says. */
class JsonAcceptTest {

  private static boolean takesJson(String... headers) {
    return JsonAccept.refusal(List.of(headers)) == null;
  }

  @Test
  void noAcceptOrAnEmptyOneTakesAnything() {
    assertThat(takesJson()).isTrue();
    assertThat(takesJson("")).isTrue();
    assertThat(takesJson("  ", "")).isTrue();
  }

  @Test
  void jsonIsTakenByNameByApplicationStarOrByStarStarInAnyCase() {
    assertThat(takesJson("application/json")).isTrue();
    assertThat(takesJson("APPLICATION/JSON; charset=utf-8")).isTrue();
    assertThat(takesJson("application/*")).isTrue();
    assertThat(takesJson("*/*")).isTrue();
    assertThat(takesJson("text/html", "application/json")).as("two headers are one list").isTrue();
  }

  @Test
  void aBareStarIsReadAsStarStar() {
    assertThat(takesJson("*")).isTrue();
    assertThat(takesJson("text/html, *;q=0.1")).isTrue();
    assertThat(takesJson("*;q=0")).isFalse();
    assertThat(takesJson("application/json;q=0, *"))
        .as("the named type is more specific")
        .isFalse();
  }

  @Test
  void browsersListsTakeJsonThroughTheirStarStar() {
    assertThat(
            takesJson(
                "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
                    + "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"))
        .isTrue();
    assertThat(takesJson("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"))
        .isTrue();
    assertThat(takesJson("text/html, application/xhtml+xml, application/xml;q=0.9")).isFalse();
    assertThat(takesJson("image/*")).isFalse();
  }

  @Test
  void theMostSpecificRangeDecidesAndQZeroRefuses() {
    assertThat(takesJson("application/json;q=0")).isFalse();
    assertThat(takesJson("Application/JSON; q=0, */*")).isFalse();
    assertThat(takesJson("application/*;q=0, text/*")).isFalse();
    assertThat(takesJson("application/*;q=0, application/json;q=0.2")).isTrue();
    assertThat(takesJson("application/json;q=0, application/json;q=0.5"))
        .as("the highest of equally specific ranges")
        .isTrue();
    assertThat(takesJson("text/html;q=0.9, */*;q=0.1")).isTrue();
    assertThat(takesJson("application/json;q=abc")).as("a q that is no number is 1").isTrue();
  }

  @Test
  void commasAndSemicolonsInQuotedParameterValuesSeparateNothing() {
    assertThat(takesJson("text/plain; foo=\"a,b\", application/json")).isTrue();
    assertThat(takesJson("text/html; foo=\"x,application/json,y\""))
        .as("application/json is only a parameter's value")
        .isFalse();
    assertThat(takesJson("application/json; foo=\"a,b\";q=0, */*"))
        .as("the q after the quoted comma is application/json's")
        .isFalse();
    assertThat(takesJson("application/json; foo=\"a;q=0;\""))
        .as("no q outside the quotes")
        .isTrue();
    assertThat(takesJson("text/html; foo=\"a\\\", application/json, b\""))
        .as("an escaped quote does not end the string")
        .isFalse();
  }

  @Test
  void rangesKeepTheirParametersAndQuotedStringsAsTheyCame() {
    assertThat(JsonAccept.ranges("text/plain; foo=\"a,b\" ;q=0.5 , application/json"))
        .containsExactly(
            List.of("text/plain", "foo=\"a,b\"", "q=0.5"), List.of("application/json"));
    assertThat(JsonAccept.ranges("a/b; x=\"open, c/d"))
        .as("a quote left open runs to the end")
        .containsExactly(List.of("a/b", "x=\"open, c/d"));
  }

  @Test
  void theRefusalQuotesTheAcceptAndSaysWhatToSend() {
    assertThat(JsonAccept.refusal(List.of(" text/html ", "image/png")))
        .contains("'text/html, image/png'", "send Accept: application/json");
  }
}
