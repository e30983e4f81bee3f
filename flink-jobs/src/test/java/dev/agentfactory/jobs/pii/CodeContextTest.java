package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CodeContextTest {

  /** The values of {@code spans} (each given as type and value) that the filter keeps. */
  private static List<String> kept(String text, Object... typeAndValue) {
    List<PiiSpan> found = new ArrayList<>();
    for (int i = 0; i < typeAndValue.length; i += 2) {
      String value = (String) typeAndValue[i + 1];
      int start = text.indexOf(value);
      found.add(new PiiSpan((EntityType) typeAndValue[i], start, start + value.length(), 0.9));
    }
    CodeContext.filter(new ScanText(text), found);
    List<String> values = new ArrayList<>();
    for (PiiSpan s : found) {
      values.add(text.substring(s.start(), s.end()));
    }
    return values;
  }

  private static boolean code(String text, String word) {
    int a = text.indexOf(word);
    return CodeContext.codeToken(text, a, a + word.length());
  }

  @Test
  void camelCaseIdentifiersAreCodeButCamelCaseSurnamesAreNot() {
    for (String w : List.of("SessionManager", "NullPointerException", "placedAt", "perPage")) {
      assertThat(CodeContext.camelCase(w, 0, w.length())).as(w).isTrue();
    }
    for (String w : List.of("McDonald", "MacArthur", "DeRose", "eBay", "iPhone", "Smith", "KPMG")) {
      assertThat(CodeContext.camelCase(w, 0, w.length())).as(w).isFalse();
    }
  }

  @Test
  void wordsGluedToCodePunctuationAreCode() {
    // {text, word}
    String[][] code = {
      {"at com.acme.Invoice", "acme"},
      {"see bin/Parser", "Parser"},
      {"C:\\Users\\Public\\Documents", "Public"},
      {"_fetch_rows()", "fetch"},
      {"[INFO] Building", "INFO"},
      {"@Service", "Service"},
      {"Reserve(request)", "Reserve"},
      {"Nov 20 09:14 Dockerfile", "14"}
    };
    for (String[] c : code) {
      assertThat(code(c[0], c[1])).as(c[0]).isTrue();
    }
    // prose punctuation, initials, the data's escaped quotes and Spanish "C/ " streets are not
    String[][] prose = {
      {"I'm Mary\\'s daughter", "Mary"},
      {"12 P.O. Box 4", "Box"},
      {"Mr. Smith, (Paris) and Jane.", "Smith"},
      {"Mr. Smith, (Paris) and Jane.", "Paris"},
      {"Mr. Smith, (Paris) and Jane.", "Jane"},
      {"38 C/ Mayor 88", "C"}
    };
    for (String[] p : prose) {
      assertThat(code(p[0], p[1])).as(p[0] + " " + p[1]).isFalse();
    }
  }

  @Test
  void aColumnHeaderLineHasNoNames() {
    String curl = "   Dload  Upload   Total   Spent    Left  Speed\n100  1256  100";
    assertThat(CodeContext.headerLine(curl, 5)).isTrue();
    assertThat(CodeContext.headerLine(curl, curl.indexOf("100"))).isFalse();
    assertThat(CodeContext.headerLine("Id,Name,Status,CreatedAt", 3)).isTrue();
    // a table row of a person: two-word cells
    assertThat(CodeContext.headerLine("Margaret Okafor   Ops Lead   London", 0)).isFalse();
    assertThat(CodeContext.headerLine("Jane met Paris Hilton in Rome", 0)).isFalse();
    assertThat(kept(curl, EntityType.ORGANIZATION, "Dload  Upload   Total")).isEmpty();
  }

  @Test
  void headerKeysAreNoNamesButSpeakersAre() {
    String http = "< Content-Type: application/json\n> Host: localhost\nX-Frame-Options: DENY";
    assertThat(
            kept(
                http,
                EntityType.LOCATION,
                "Content-Type",
                EntityType.LOCATION,
                "Host",
                EntityType.PERSON,
                "X-Frame-Options"))
        .isEmpty();
    assertThat(kept("Jordan: I'm Mary's daughter", EntityType.PERSON, "Jordan"))
        .containsExactly("Jordan");
    assertThat(kept("Anne-Marie: hello", EntityType.PERSON, "Anne-Marie")).isEmpty();
  }

  @Test
  void namesBesideCodeAndEmailAddressesAreKept() {
    String author = "Author: Margaret Okafor <margaret.okafor@example.com>";
    assertThat(
            kept(
                author,
                EntityType.PERSON,
                "Margaret Okafor",
                EntityType.EMAIL_ADDRESS,
                "margaret.okafor@example.com"))
        .containsExactly("Margaret Okafor", "margaret.okafor@example.com");
    assertThat(
            kept(
                "a1b2c3d Refactor PaymentGateway into StripeAdapter by Sean McDonald",
                EntityType.ORGANIZATION,
                "Refactor PaymentGateway into StripeAdapter",
                EntityType.PERSON,
                "Sean McDonald"))
        .containsExactly("Sean McDonald");
  }

  @Test
  void spansAcrossTableColumnsOrWithoutWordsAreDropped() {
    String ps = "USER  PID %CPU %MEM    VSZ   RSS TTY      STAT";
    assertThat(kept(ps, EntityType.LOCATION, "MEM    VSZ   RSS")).isEmpty();
    // one gap of two spaces is a name in the data (Dun  Bradstreet)
    assertThat(kept("at Dun  Bradstreet.", EntityType.ORGANIZATION, "Dun  Bradstreet"))
        .containsExactly("Dun  Bradstreet");
    assertThat(kept("a) b. c", EntityType.ORGANIZATION, ")")).isEmpty();
    assertThat(kept("SQL Error: 08001", EntityType.TITLE, "08001")).isEmpty();
    assertThat(kept("my zip code is 35649", EntityType.ADDRESS, "35649")).containsExactly("35649");
  }

  @Test
  void aRunOfOneRepeatedWordIsNoName() {
    String yes = "y\n".repeat(20) + "yes: standard output: Broken pipe\n";
    assertThat(kept(yes, EntityType.ADDRESS, yes.substring(2, 40))).isEmpty();
    // four words, none of them half: an address is kept
    assertThat(kept("at 12 Rue de Paris", EntityType.ADDRESS, "12 Rue de Paris"))
        .containsExactly("12 Rue de Paris");
    // a repeated word short of half the words, or fewer than four words, is not a run
    assertThat(CodeContext.repetitive(List.of("new", "york", "new", "jersey", "way"))).isFalse();
    assertThat(CodeContext.repetitive(List.of("ha", "ha", "ha"))).isFalse();
    assertThat(CodeContext.repetitive(List.of("ok", "ok", "fine", "good"))).isTrue();
  }

  @Test
  void aLowerCaseOneWordPlaceIsDroppedOnlyInATextWithCapitals() {
    assertThat(kept("Reading package lists... reading done", EntityType.LOCATION, "reading"))
        .isEmpty();
    assertThat(kept("i moved to reading last year", EntityType.LOCATION, "reading"))
        .containsExactly("reading");
    assertThat(kept("Ask jane", EntityType.PERSON, "jane")).containsExactly("jane");
  }
}
