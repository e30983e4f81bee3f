package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CompanyShapesTest {

  private final CompanyShapes shapes =
      new CompanyShapes(
          Gazetteer.EMPTY.withLists(
              Map.of(
                  "last", Set.of("smith", "frost", "mayer", "watkins", "anne", "lise", "hagenes"),
                  "first", Set.of("anne"),
                  "city", Set.of("saint"))));

  private List<String> find(String text) {
    List<PiiSpan> out = new ArrayList<>();
    shapes.detect(new ScanText(text), out);
    return out.stream()
        .peek(s -> assertThat(s.type()).isEqualTo(EntityType.ORGANIZATION))
        .map(s -> text.substring(s.start(), s.end()))
        .toList();
  }

  @Test
  void surnameWithLegalSuffixIsAnOrganisationWithItsDot() {
    assertThat(find("Smith Ltd. is the brainchild of three founders"))
        .containsExactly("Smith Ltd.");
    assertThat(find("i work for frost llc now")).containsExactly("frost llc");
    assertThat(find("Hagenes and Sons, Berlin")).containsExactly("Hagenes and Sons");
    assertThat(find("Acme Inc")).containsExactly("Acme Inc");
    assertThat(find("the group met")).isEmpty();
  }

  @Test
  void twoSurnamesJoinedByAHyphenAreAnOrganisationUnlessTheFirstIsAFirstName() {
    assertThat(find("recorded for Mayer-Watkins last year")).containsExactly("Mayer-Watkins");
    assertThat(find("Mayer-Watkins Group")).containsExactly("Mayer-Watkins Group");
    assertThat(find("Anne-Lise called")).isEmpty();
    assertThat(find("Saint-Watkins")).isEmpty();
    assertThat(find("mayer-watkins")).isEmpty();
    assertThat(find("Jean-Luc Picard")).isEmpty();
  }
}
