package dev.agentfactory.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.jobs.cli.CliArgs.UsageException;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CliArgsTest {

  private static final Set<String> OPTIONS = Set.of("--seconds", "--rate");

  @Test
  void optionsAreReadInBothSpellingsAndFlagsWithoutAValue() {
    CliArgs a =
        CliArgs.parse(
            new String[] {"--seconds", "5", "--rate=7", "--fast"}, OPTIONS, Set.of("--fast"), 0);
    assertThat(a.intValue("--seconds", 1, 1, 10)).isEqualTo(5);
    assertThat(a.intValue("--rate", 1, 1, 10)).isEqualTo(7);
    assertThat(a.has("--fast")).isTrue();
    assertThat(a.positionals()).isEmpty();
  }

  @Test
  void anUnknownOptionIsAnErrorThatNamesTheKnownOnes() {
    assertThatThrownBy(() -> CliArgs.parse(new String[] {"--secs", "5"}, OPTIONS))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unknown option --secs")
        .hasMessageContaining("[--rate, --seconds]");
  }

  @Test
  void anOptionToAToolWithoutOptionsIsAnError() {
    assertThatThrownBy(() -> CliArgs.parse(new String[] {"--verbose"}, Set.of(), Set.of(), 1))
        .isInstanceOf(UsageException.class)
        .hasMessage("unknown option --verbose (this tool takes none)");
  }

  @Test
  void positionalArgumentsBeyondTheAllowedNumberAreAnError() {
    assertThat(CliArgs.parse(new String[] {"a", "b"}, Set.of(), Set.of(), 2).positionals())
        .containsExactly("a", "b");
    assertThatThrownBy(() -> CliArgs.parse(new String[] {"a", "b", "c"}, Set.of(), Set.of(), 2))
        .isInstanceOf(UsageException.class)
        .hasMessage("unexpected argument 'c' (at most 2)");
    assertThatThrownBy(() -> CliArgs.parse(new String[] {"5"}, OPTIONS))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unexpected argument '5'");
  }

  @Test
  void aMissingValueAFlagWithAValueAndMalformedValuesAreErrors() {
    assertThatThrownBy(() -> CliArgs.parse(new String[] {"--rate"}, OPTIONS))
        .hasMessage("--rate needs a value");
    assertThatThrownBy(
            () -> CliArgs.parse(new String[] {"--fast=yes"}, Set.of(), Set.of("--fast"), 0))
        .hasMessage("--fast takes no value");
    CliArgs a = CliArgs.parse(new String[] {"--rate", "0", "--seconds", "five"}, OPTIONS);
    assertThatThrownBy(() -> a.intValue("--rate", 1, 1, 10))
        .hasMessage("--rate must be in [1, 10], was 0");
    assertThatThrownBy(() -> a.intValue("--seconds", 1, 1, 10))
        .hasMessage("--seconds must be an integer, was 'five'");
    CliArgs b = CliArgs.parse(new String[] {"--rate", "yes"}, OPTIONS);
    assertThatThrownBy(() -> b.booleanValue("--rate", false))
        .hasMessage("--rate must be true or false, was 'yes'");
  }

  @Test
  void positionalValuesAreCheckedAndMissingOnesFallBackOrAreRequired() {
    CliArgs a = CliArgs.parse(new String[] {"12", "x"}, Set.of(), Set.of(), 3);
    assertThat(a.intPositional(0, "N", 5, 1, 100)).isEqualTo(12);
    assertThat(a.intPositional(2, "M", 5, 1, 100)).isEqualTo(5);
    assertThat(a.requiredPositional(1, "NAME")).isEqualTo("x");
    assertThatThrownBy(() -> a.requiredPositional(2, "FILE")).hasMessage("FILE is required");
    assertThatThrownBy(() -> a.doublePositional(1, "SECONDS", 10, 0))
        .hasMessage("SECONDS must be a number, was 'x'");
    CliArgs zero = CliArgs.parse(new String[] {"0"}, Set.of(), Set.of(), 1);
    assertThatThrownBy(() -> zero.doublePositional(0, "SECONDS", 10, 0))
        .hasMessage("SECONDS must be above 0.0, was 0");
  }
}
