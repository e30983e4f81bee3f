package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChecksumsTest {

  @Test
  void luhnAcceptsTestCardNumbersAndRejectsOneWrongDigit() {
    assertThat(Checksums.luhn("4111 1111 1111 1111")).isTrue();
    assertThat(Checksums.luhn("5500-0000-0000-0004")).isTrue();
    assertThat(Checksums.luhn("378282246310005")).isTrue();
    assertThat(Checksums.luhn("4111 1111 1111 1112")).isFalse();
    assertThat(Checksums.luhn("0000")).as("too short to be a card").isFalse();
  }

  @Test
  void ibanAcceptsValidCheckDigitsInAnyCaseAndSpacing() {
    assertThat(Checksums.iban("GB82 WEST 1234 5698 7654 32")).isTrue();
    assertThat(Checksums.iban("gb82west12345698765432")).isTrue();
    assertThat(Checksums.iban("DE89370400440532013000")).isTrue();
  }

  @Test
  void ibanRejectsWrongCheckDigitsAndShapes() {
    assertThat(Checksums.iban("GB83WEST12345698765432")).isFalse();
    assertThat(Checksums.iban("GB82WEST1234569876543!")).isFalse();
    assertThat(Checksums.iban("1282WEST12345698765432")).isFalse();
    assertThat(Checksums.iban("GB82")).isFalse();
  }
}
