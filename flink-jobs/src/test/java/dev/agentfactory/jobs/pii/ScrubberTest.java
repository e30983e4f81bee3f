package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ScrubberTest {

  private static final byte[] KEY =
      "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8);

  private final PiiScanner scanner = PiiScanner.patternsOnly();

  private Scrubber scrubber(EntityType type, ScrubAction action) {
    return new Scrubber(scanner, ScrubPolicy.defaults().with(type, action), KEY);
  }

  @Test
  void maskReplacesTheValueAndReportsItsSpanWithoutTheValue() {
    ScrubResult r =
        new Scrubber(scanner, ScrubPolicy.defaults(), null).scrub("contact alice@example.com", "s");
    assertThat(r.text()).isEqualTo("contact <EMAIL_ADDRESS>");
    assertThat(r.spans())
        .containsExactly(new ScrubbedSpan(EntityType.EMAIL_ADDRESS, 8, 25, ScrubAction.MASK, ""));
    assertThat(r.toString()).doesNotContain("alice");
  }

  @Test
  void redactRemovesTheValue() {
    assertThat(
            scrubber(EntityType.EMAIL_ADDRESS, ScrubAction.REDACT).scrub("to a@b.com.", "s").text())
        .isEqualTo("to .");
  }

  @Test
  void hashIsKeyedAndTheSameAcrossConversations() {
    Scrubber s = scrubber(EntityType.EMAIL_ADDRESS, ScrubAction.HASH);
    String a = s.scrub("a@b.com", "one").text();
    assertThat(a).matches("<EMAIL_ADDRESS#[0-9a-f]{12}>");
    assertThat(s.scrub("A@B.com", "two").text()).isEqualTo(a);
    byte[] otherKey = "another key of 16+ bytes".getBytes(StandardCharsets.UTF_8);
    Scrubber other =
        new Scrubber(
            scanner,
            ScrubPolicy.defaults().with(EntityType.EMAIL_ADDRESS, ScrubAction.HASH),
            otherKey);
    assertThat(other.scrub("a@b.com", "one").text()).isNotEqualTo(a);
  }

  @Test
  void pseudonymsAreConsistentWithinAConversationAndDifferAcrossConversations() {
    Scrubber s = scrubber(EntityType.EMAIL_ADDRESS, ScrubAction.PSEUDONYMISE);
    String first = s.scrub("mail jane@corp.io", "session-1").text();
    String again = s.scrub("again: jane@corp.io and bob@corp.io", "session-1").text();
    String elsewhere = s.scrub("mail jane@corp.io", "session-2").text();

    assertThat(first).matches("mail user-[0-9a-f]{8}@example\\.invalid");
    String pseudonym = first.substring("mail ".length());
    assertThat(again).startsWith("again: " + pseudonym + " and user-").doesNotEndWith(pseudonym);
    assertThat(elsewhere).isNotEqualTo(first);
  }

  @Test
  void aConversationNamedHashGetsPseudonymsUnlinkableToTheHashes() {
    // before, the hash was the pseudonym digest of a conversation called "hash"
    Scrubber hashes = scrubber(EntityType.EMAIL_ADDRESS, ScrubAction.HASH);
    Scrubber pseudonyms = scrubber(EntityType.EMAIL_ADDRESS, ScrubAction.PSEUDONYMISE);
    String hash = hashes.scrub("jane@corp.io", "any").text();
    String pseudonym = pseudonyms.scrub("jane@corp.io", "hash").text();

    assertThat(hash).matches("<EMAIL_ADDRESS#[0-9a-f]{12}>");
    assertThat(pseudonym).matches("user-[0-9a-f]{8}@example\\.invalid");
    assertThat(hash.substring("<EMAIL_ADDRESS#".length(), "<EMAIL_ADDRESS#".length() + 8))
        .isNotEqualTo(pseudonym.substring("user-".length(), "user-".length() + 8));
  }

  @Test
  void oneNumberWrittenTwoWaysGetsOnePseudonymAndOneHash() {
    for (ScrubAction action : List.of(ScrubAction.PSEUDONYMISE, ScrubAction.HASH)) {
      Scrubber phones = scrubber(EntityType.PHONE_NUMBER, action);
      assertThat(phones.scrub("call 202-555-0143", "s").text())
          .isEqualTo(phones.scrub("call (202) 555 0143", "s").text())
          .isNotEqualTo(phones.scrub("call 202-555-0144", "s").text());
      Scrubber cards = scrubber(EntityType.CREDIT_CARD, action);
      assertThat(cards.scrub("card 4111 1111 1111 1111", "s").text())
          .isEqualTo(cards.scrub("card 4111-1111-1111-1111", "s").text());
      Scrubber ibans = scrubber(EntityType.IBAN_CODE, action);
      assertThat(ibans.scrub("iban DE89 3704 0044 0532 0130 00", "s").text())
          .isEqualTo(ibans.scrub("iban DE89370400440532013000", "s").text());
    }
  }

  @Test
  void pseudonymPhoneNumbersAreFictionalAndSpreadOverManyValues() {
    Scrubber s = scrubber(EntityType.PHONE_NUMBER, ScrubAction.PSEUDONYMISE);
    Set<String> fakes = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      String fake = s.scrub(String.format("call 202-555-%04d", 1000 + i), "s").text();
      // 555-0100..0199 are the numbers NANP keeps for fiction, in every area code
      assertThat(fake).matches("call \\+1-[2-9]\\d\\d-555-01\\d\\d");
      fakes.add(fake);
    }
    // 200 numbers in 100 values (the old +1-555-01dd) must collide; in 80 000 they rarely do
    assertThat(fakes).hasSizeGreaterThan(195);
  }

  @Test
  void jsonValuesUnderSecretKeysAreSecretsWhateverTheyLookLike() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    ScrubResult r =
        s.scrubJson(
            "{\"user\":\"bob\",\"password\":\"correct horse\",\"headers\":{\"Authorization\":\"xyz\"},"
                + "\"api_key\":12345,\"note\":\"mail bob@corp.io\",\"author\":\"Ann\"}",
            "s");
    assertThat(r.text())
        .contains("\"password\":\"<SECRET>\"")
        .contains("\"Authorization\":\"<SECRET>\"")
        .contains("\"api_key\":\"<SECRET>\"")
        .contains("\"note\":\"mail <EMAIL_ADDRESS>\"")
        .contains("\"user\":\"bob\"")
        .contains("\"author\":\"Ann\"");
    assertThat(r.spans())
        .extracting(ScrubbedSpan::field)
        .containsExactlyInAnyOrder("/password", "/headers/Authorization", "/api_key", "/note");
  }

  @Test
  void theValueOfANameValuePairThatNamesACredentialIsASecret() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    ScrubResult r =
        s.scrubJson(
            "{\"env\":[{\"name\":\"DB_PASSWORD\",\"value\":\"hunter2\"},"
                + "{\"name\":\"LOG_LEVEL\",\"value\":\"debug\"}],"
                + "\"headers\":[{\"name\":\"Authorization\",\"value\":\"Basic dXNlcjpwdw==\"}],"
                + "\"Tags\":[{\"Key\":\"api_token\",\"Value\":42}],"
                + "\"fields\":[{\"name\":\"author\",\"value\":\"Ann\"},"
                + "{\"name\":\"Reset your password\",\"value\":\"a link\"}]}",
            "s");
    assertThat(r.text())
        .doesNotContain("hunter2")
        .doesNotContain("dXNlcjpwdw")
        .doesNotContain("42")
        .contains("\"value\":\"debug\"")
        .contains("\"value\":\"Ann\"")
        .contains("\"value\":\"a link\"");
    assertThat(r.spans())
        .extracting(ScrubbedSpan::field)
        .containsExactlyInAnyOrder("/env/0/value", "/headers/0/value", "/Tags/0/Value");
  }

  @Test
  void aCardsVerificationCodeIsASecret() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    assertThat(
            s.scrubJson("{\"card\":{\"cvv\":123,\"card_cvc\":\"0456\",\"cvcount\":2}}", "s")
                .spans())
        .extracting(ScrubbedSpan::field)
        .containsExactly("/card/cvv", "/card/card_cvc");
  }

  @Test
  void pinsOneTimeCodesPasscodesAndSshKeysAreSecrets() {
    // a pincode is India's postal code: it is no secret
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    ScrubResult r =
        s.scrubJson(
            "{\"card\":{\"pin\":1234,\"pinCode\":\"0000\",\"pin_code\":\"1111\"},"
                + "\"totp\":\"492039\",\"mfa\":{\"hotp\":\"12\"},\"passcode\":\"7788\","
                + "\"ssh_key\":\"AAAAC3NzaC1lZDI1NTE5AAAAIB\",\"spinner\":\"x\",\"pinned\":true,"
                + "\"pinyin\":\"ni hao\",\"pincode\":\"560001\"}",
            "s");
    assertThat(r.text()).doesNotContain("1234").doesNotContain("492039").doesNotContain("AAAAC3");
    assertThat(r.spans())
        .extracting(ScrubbedSpan::field)
        .containsExactlyInAnyOrder(
            "/card/pin",
            "/card/pinCode",
            "/card/pin_code",
            "/totp",
            "/mfa/hotp",
            "/passcode",
            "/ssh_key");
  }

  @Test
  void aListElementAfterACredentialsNameOrFlagIsASecret() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    ScrubResult r =
        s.scrubJson(
            "{\"headers\":[[\"Accept\",\"*/*\"],[\"Authorization\",\"Basic YWxhZGRpbjpvcGVu\"]],"
                + "\"argv\":[\"mysql\",\"-u\",\"root\",\"--password\",\"hunter2\",\"-h\",\"db\"],"
                + "\"words\":[\"token\",\"count\",\"per\",\"page\"],\"pair\":[\"x\",\"token\"]}",
            "s");
    assertThat(r.text()).doesNotContain("YWxhZGRpbjpvcGVu").doesNotContain("hunter2");
    assertThat(r.spans())
        .extracting(ScrubbedSpan::field)
        .containsExactly("/headers/1/1", "/argv/4");
  }

  @Test
  void numbersAreScannedWithTheirKeyAsContext() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    ScrubResult r =
        s.scrubJson(
            "{\"card\":4111111111111111,\"contact\":{\"phone\":2025550143},"
                + "\"ssn\":123456789,\"phones\":[4155550143],\"created_at\":1700000000,"
                + "\"count\":123456789,\"ts\":1732838400007,\"ratio\":0.5}",
            "s");
    assertThat(r.text())
        .isEqualTo(
            "{\"card\":\"<CREDIT_CARD>\",\"contact\":{\"phone\":\"<PHONE_NUMBER>\"},"
                + "\"ssn\":\"<US_SSN>\",\"phones\":[\"<PHONE_NUMBER>\"],\"created_at\":1700000000,"
                + "\"count\":123456789,\"ts\":1732838400007,\"ratio\":0.5}");
    assertThat(r.spans())
        .extracting(ScrubbedSpan::field)
        .containsExactly("/card", "/contact/phone", "/ssn", "/phones/0");
    // an epoch second has a phone's shape, and no key here says phone
    assertThat(s.scrubJson("{\"updated\":1700000000}", "s").spans()).isEmpty();
  }

  /**
   * Tool-call arguments must stay JSON: a bare number is JSON, and scrubbed as text it became
   * {@code <CREDIT_CARD>}, which is not; it becomes a JSON string. Text that was no JSON stays
   * text.
   */
  @Test
  void aBareJsonNumberOrStringStaysJsonWhenScrubbed() throws Exception {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    com.fasterxml.jackson.databind.ObjectMapper json =
        new com.fasterxml.jackson.databind.ObjectMapper();
    ScrubResult number = s.scrubJson("4111111111111111", "s");
    assertThat(number.text()).isEqualTo("\"<CREDIT_CARD>\"");
    assertThat(number.spans())
        .extracting(ScrubbedSpan::type)
        .containsExactly(EntityType.CREDIT_CARD);
    ScrubResult string = s.scrubJson(" \"card 4111111111111111\" ", "s");
    assertThat(json.readTree(string.text()).textValue()).isEqualTo("card <CREDIT_CARD>");
    assertThat(s.scrubJson("card 4111111111111111", "s").text()).isEqualTo("card <CREDIT_CARD>");
    assertThat(s.scrubJson("12", "s").text()).isEqualTo("12");
  }

  @Test
  void tokenCountsAndTokenizersAreNoSecretsButTokensAre() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    String usage =
        "{\"model\":\"m\",\"max_tokens\":100,\"max_new_tokens\":5,\"tokenizer\":\"bert\","
            + "\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":30,\"total_tokens\":42,"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0}},\"tokenCount\":7,"
            + "\"secretary\":\"vacant\",\"club_secretaries\":[\"tbd\"]}";
    assertThat(s.scrubJson(usage, "s").spans()).isEmpty();
    ScrubResult r =
        s.scrubJson(
            "{\"access_token\":\"a\",\"refresh_tokens\":[\"b\"],\"tokens\":[\"c\"],"
                + "\"id_token\":\"d\",\"X-Auth-Token\":\"e\",\"max_tokens_secret\":\"f\"}",
            "s");
    assertThat(r.spans())
        .extracting(ScrubbedSpan::field)
        .containsExactlyInAnyOrder(
            "/access_token",
            "/refresh_tokens/0",
            "/tokens/0",
            "/id_token",
            "/X-Auth-Token",
            "/max_tokens_secret");
  }

  @Test
  void shortCredentialNamesMarkTheirValueOnlyAsAWholeWordOfTheKey() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    ScrubResult r =
        s.scrubJson(
            "{\"db\":{\"user\":\"app\",\"pass\":\"hunter2\"},\"SMTP_PASS\":\"a\",\"smtpPass\":\"b\","
                + "\"admin-pw\":\"c\",\"jwt\":\"d\",\"otp\":\"e\","
                + "\"bypass\":\"x\",\"compass\":\"y\",\"passenger\":\"z\",\"passed\":3}",
            "s");
    assertThat(r.text()).doesNotContain("hunter2").contains("\"user\":\"app\"");
    assertThat(r.spans())
        .extracting(ScrubbedSpan::field)
        .containsExactlyInAnyOrder(
            "/db/pass", "/SMTP_PASS", "/smtpPass", "/admin-pw", "/jwt", "/otp");
  }

  @Test
  void jsonInsideAJsonStringIsScannedAsJsonWithPointersThatContinueIntoIt() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    ScrubResult r =
        s.scrubJson(
            "{\"method\":\"POST\",\"body\":\"{\\\"env\\\":[{\\\"name\\\":\\\"DB_PASSWORD\\\","
                + "\\\"value\\\":\\\"hunter2\\\"}],\\\"credentials\\\":{\\\"user\\\":\\\"u\\\"},"
                + "\\\"password\\\":12345678,\\\"to\\\":\\\"bob@corp.io\\\"}\"}",
            "s");
    assertThat(r.text()).doesNotContain("hunter2").doesNotContain("12345678");
    assertThat(r.spans())
        .extracting(ScrubbedSpan::field)
        .containsExactlyInAnyOrder(
            "/body/env/0/value", "/body/credentials/user", "/body/password", "/body/to");
    // the string still holds one JSON document, with the inner password a string
    assertThat(r.text())
        .isEqualTo(
            "{\"method\":\"POST\",\"body\":\"{\\\"env\\\":[{\\\"name\\\":\\\"DB_PASSWORD\\\","
                + "\\\"value\\\":\\\"<SECRET>\\\"}],\\\"credentials\\\":{\\\"user\\\":\\\"<SECRET>\\\"},"
                + "\\\"password\\\":\\\"<SECRET>\\\",\\\"to\\\":\\\"<EMAIL_ADDRESS>\\\"}\"}");
  }

  @Test
  void textThatIsNotJsonIsScrubbedAsText() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    assertThat(s.scrubJson("{not json a@b.com", "s").text()).isEqualTo("{not json <EMAIL_ADDRESS>");
  }

  @Test
  void aDuplicateKeyDoesNotHideItsFirstValueFromTheScan() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    // a lenient parse keeps only the last value, finds nothing and returns the input unchanged
    assertThat(s.scrubJson("{\"note\":\"mail bob@corp.io\",\"note\":\"x\"}", "s").text())
        .doesNotContain("bob@corp.io")
        .contains("<EMAIL_ADDRESS>");
    assertThat(s.scrubJson("{\"password\":\"hunter2\",\"password\":\"\"}", "s").text())
        .doesNotContain("hunter2");
  }

  @Test
  void textAfterTheFirstJsonDocumentIsScrubbedToo() {
    Scrubber s = new Scrubber(scanner, ScrubPolicy.defaults(), null);
    assertThat(s.scrubJson("{\"q\":\"x\"}{\"password\":\"hunter2\"}", "s").text())
        .doesNotContain("hunter2");
    // and is kept, not dropped when the first document is written back
    assertThat(s.scrubJson("{\"password\":\"hunter2\"}\ncc bob@corp.io", "s").text())
        .doesNotContain("hunter2")
        .endsWith("cc <EMAIL_ADDRESS>");
  }

  @Test
  void jsonScanReportsFieldsWithSpans() {
    var fields = new JsonScanner(scanner).scan("[{\"token\":\"t\"},{\"x\":\"ip 10.0.0.1\"}]");
    assertThat(fields).isPresent();
    assertThat(fields.get())
        .extracting(JsonScanner.Field::pointer)
        .containsExactly("/0/token", "/1/x");
  }
}
