package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.jobs.cli.CliArgs.UsageException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class NameFinderCrossValidationArgsTest {

  @Test
  void theDataFileIsRequiredAndFoldsDefaultToFive() {
    assertThat(NameFinderCrossValidation.parse(new String[] {"data.json"}))
        .isEqualTo(new NameFinderCrossValidation.Run(Path.of("data.json"), 5));
    assertThat(NameFinderCrossValidation.parse(new String[] {"data.json", "3"}).folds())
        .isEqualTo(3);
    assertThatThrownBy(() -> NameFinderCrossValidation.parse(new String[0]))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("DATA_JSON is required");
  }

  @Test
  void anExtraArgumentAnOptionOrABadFoldCountIsRefused() {
    assertThatThrownBy(
            () -> NameFinderCrossValidation.parse(new String[] {"data.json", "5", "extra"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unexpected argument 'extra'");
    assertThatThrownBy(
            () -> NameFinderCrossValidation.parse(new String[] {"data.json", "--folds=3"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("unknown option --folds");
    assertThatThrownBy(() -> NameFinderCrossValidation.parse(new String[] {"data.json", "1"}))
        .isInstanceOf(UsageException.class)
        .hasMessageContaining("FOLDS must be in [2, 100], was 1");
  }
}
