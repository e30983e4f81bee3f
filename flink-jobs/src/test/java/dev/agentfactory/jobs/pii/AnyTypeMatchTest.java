package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class AnyTypeMatchTest {

  private static PiiSpan span(String text, String value, EntityType type) {
    int start = text.indexOf(value);
    return new PiiSpan(type, start, start + value.length(), 1);
  }

  private static SpanEvaluation eval(String text, List<PiiSpan> gold, List<PiiSpan> found) {
    SpanEvaluation e = new SpanEvaluation(0.5);
    e.add(text, gold, found);
    return e;
  }

  @Test
  void theWrongTypeStillFindsThePersonalData() {
    String text = "The Peter Pham version";
    SpanEvaluation e =
        eval(
            text,
            List.of(span(text, "Peter Pham", EntityType.PERSON)),
            List.of(span(text, "Peter Pham", EntityType.ORGANIZATION)));

    assertThat(e.anyType().tp).isEqualTo(1);
    assertThat(e.anyType().fp + e.anyType().fn).isZero();
    assertThat(e.overall().tp).isZero();
    assertThat(e.overall().fp).isEqualTo(1);
    assertThat(e.overall().fn).isEqualTo(1);
  }

  @Test
  void neighbouringEntitiesOfAnyTypesAreOneSpan() {
    String text = "Send it to 11 Via Roma 149\n Suite 268\n Poggio\n Antigua 48083 please";
    String whole = "11 Via Roma 149\n Suite 268\n Poggio\n Antigua 48083";
    List<PiiSpan> split =
        List.of(
            span(text, "11 Via Roma 149\n Suite 268", EntityType.ADDRESS),
            span(text, "Poggio\n Antigua", EntityType.LOCATION),
            span(text, "48083", EntityType.ADDRESS));

    SpanEvaluation e = eval(text, List.of(span(text, whole, EntityType.ADDRESS)), split);

    assertThat(e.anyType().tp).isEqualTo(1);
    assertThat(e.anyType().fp + e.anyType().fn).isZero();
  }

  @Test
  void skipWordsAtTheEdgesDoNotCountAndSkipWordsAloneAreNoSpan() {
    String text = "Will you meet me at the corner of Main Street";
    SpanEvaluation e =
        eval(
            text,
            List.of(span(text, "Main Street", EntityType.ADDRESS)),
            List.of(
                span(text, "Will", EntityType.PERSON),
                span(text, "the corner of Main Street", EntityType.ADDRESS)));

    assertThat(e.anyType().tp).isEqualTo(1);
    assertThat(e.anyType().fp).isZero();
  }

  @Test
  void missesFalseAlarmsAndPoorOverlapsAreCounted() {
    String text = "Ask Jane about Acme Corp and the Boston office of Smith Holdings International";
    SpanEvaluation e =
        eval(
            text,
            List.of(
                span(text, "Jane", EntityType.PERSON),
                span(text, "Smith Holdings International", EntityType.ORGANIZATION)),
            List.of(
                span(text, "Acme Corp", EntityType.ORGANIZATION),
                span(text, "Smith", EntityType.PERSON)));

    // Jane missed; Acme Corp overlaps nothing; Smith covers too little of the organisation
    assertThat(e.anyType().tp).isZero();
    assertThat(e.anyType().fn).isEqualTo(2);
    assertThat(e.anyType().fp).isEqualTo(2);
  }
}
