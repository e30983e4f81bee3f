package dev.agentfactory.jobs.pii;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StructuredRulesTest {

  private final PiiScanner scanner = PiiScanner.patternsOnly();

  private List<String> found(String text, EntityType type) {
    return scanner.scan(text).stream()
        .filter(s -> s.type() == type)
        .map(s -> text.substring(s.start(), s.end()))
        .toList();
  }

  @Test
  void emailAddressesAreFound() {
    assertThat(found("mail Bob.Smith+x@mail.example.co.uk now", EntityType.EMAIL_ADDRESS))
        .containsExactly("Bob.Smith+x@mail.example.co.uk");
    assertThat(found("user@host has no TLD", EntityType.EMAIL_ADDRESS)).isEmpty();
  }

  @Test
  void aDisplayNameBeforeAnEmailInAngleBracketsIsAPerson() {
    assertThat(
            found(
                "    Signed-off-by: Sean McDonald <sean.mcdonald@example.com>", EntityType.PERSON))
        .containsExactly("Sean McDonald");
    assertThat(found("Author: Ludwig van Beethoven <lvb@example.de>", EntityType.PERSON))
        .containsExactly("Ludwig van Beethoven");
    // one word is no name here (GitHub <noreply@github.com>), nor is an address without angles
    assertThat(found("From: GitHub <noreply@github.com>", EntityType.PERSON)).isEmpty();
    assertThat(found("Mail Sean McDonald sean@example.com", EntityType.PERSON)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "+1-202-555-0143",
        "(96) 627-277",
        "0161 496 0000",
        "828-635-2307x09667",
        "001-748-088-2851x818",
        "(895)164-4839x7918",
        "05334 75 83 35",
        "06-65334860",
        "+44 20 7946 0958"
      })
  void phoneNumbersInInternationalFormatsAreFoundAfterContext(String phone) {
    assertThat(found("You can call " + phone + " today", EntityType.PHONE_NUMBER))
        .containsExactly(phone);
  }

  @Test
  void phoneNumbersInSignatureBlocksEndBeforeTheirLabel() {
    assertThat(
            found("Togo 95522\n(85) 5986-8343-Office\\,(790)091-7442-Fax", EntityType.PHONE_NUMBER))
        .containsExactly("(85) 5986-8343", "(790)091-7442");
  }

  @Test
  void shortDigitRunsAndVersionsAreNotPhoneNumbers() {
    assertThat(found("call me in 2024 about v1.2.3 or 12345", EntityType.PHONE_NUMBER)).isEmpty();
  }

  @Test
  void cardNumbersNeedAValidLuhnDigit() {
    assertThat(found("card 4111 1111 1111 1111 ok", EntityType.CREDIT_CARD))
        .containsExactly("4111 1111 1111 1111");
    assertThat(found("card 4111 1111 1111 1112 ok", EntityType.CREDIT_CARD)).isEmpty();
  }

  @Test
  void ibansNeedValidCheckDigits() {
    assertThat(found("pay to GB82WEST12345698765432.", EntityType.IBAN_CODE))
        .containsExactly("GB82WEST12345698765432");
    assertThat(found("pay to GB83WEST12345698765432.", EntityType.IBAN_CODE)).isEmpty();
  }

  @Test
  void ssnsAreFoundUnlessInAnImpossibleRange() {
    assertThat(found("my ssn is 205-46-4452", EntityType.US_SSN)).containsExactly("205-46-4452");
    assertThat(found("ref 000-46-4452 and 666-12-3456", EntityType.US_SSN)).isEmpty();
  }

  @Test
  void ipv4AndIpv6AddressesAreFound() {
    assertThat(
            found(
                "from 109.38.226.13 and 4f8a:c99e:dc86:faf9:5988:5f63:375e:8a2a",
                EntityType.IP_ADDRESS))
        .containsExactly("109.38.226.13", "4f8a:c99e:dc86:faf9:5988:5f63:375e:8a2a");
    assertThat(found("bind ::1 and fe80::1ff:fe23:4567:890a", EntityType.IP_ADDRESS))
        .contains("fe80::1ff:fe23:4567:890a");
    assertThat(found("version 1.2.3.4.5 at 12:30:45", EntityType.IP_ADDRESS)).isEmpty();
  }

  @Test
  void urlsAndBareDomainsAreDomainNamesButFileNamesAreNot() {
    assertThat(found("see https://www.BowlingCourse.se/.", EntityType.DOMAIN_NAME))
        .containsExactly("https://www.BowlingCourse.se/");
    assertThat(found("visit example.com or www.test.de", EntityType.DOMAIN_NAME))
        .containsExactly("example.com", "www.test.de");
    assertThat(found("run setup.sh then main.py", EntityType.DOMAIN_NAME)).isEmpty();
    // the rule runs only on texts with a dot before a letter, in either case
    assertThat(found("Host: API.EXAMPLE.ORG.", EntityType.DOMAIN_NAME))
        .containsExactly("API.EXAMPLE.ORG");
  }

  @Test
  void datesAndTimesAreFound() {
    assertThat(found("since 12/30/1951 and on Wednesday at 10:30 pm", EntityType.DATE_TIME))
        .containsExactly("12/30/1951", "Wednesday", "10:30 pm");
    // clock times without minutes, and with them, whichever way am/pm is written
    assertThat(found("call at 9am, not 17:45:10", EntityType.DATE_TIME))
        .containsExactly("9am", "17:45:10");
    assertThat(found("meet at 5 p.m. sharp", EntityType.DATE_TIME)).containsExactly("5 p.m.");
    assertThat(found("born March 3rd, 1990 and 2024-05-01T10:00:00Z", EntityType.DATE_TIME))
        .containsExactly("March 3rd, 1990", "2024-05-01T10:00:00Z");
  }

  @Test
  void driverLicencesNeedContext() {
    assertThat(found("My driver's license number is LH329609T", EntityType.US_DRIVER_LICENSE))
        .containsExactly("LH329609T");
    assertThat(found("order number LH329609T", EntityType.US_DRIVER_LICENSE)).isEmpty();
    assertThat(found("driver's license number is U62928788557186", EntityType.CREDIT_CARD))
        .as("a card number does not start inside a word")
        .isEmpty();
  }

  @Test
  void apiKeysWithAKnownShapeAreFound() {
    String jwt =
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    String text =
        "AKIAIOSFODNN7EXAMPLE ghp_" + "a".repeat(36) + " xoxb-123456789012-abcdefghij " + jwt;
    assertThat(found(text, EntityType.API_KEY))
        .containsExactly(
            "AKIAIOSFODNN7EXAMPLE", "ghp_" + "a".repeat(36), "xoxb-123456789012-abcdefghij", jwt);
  }

  @Test
  void awsSecretKeysAreFoundWithOrWithoutASeparator() {
    String key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assertThat(found("aws_secret_access_key = " + key, EntityType.API_KEY)).containsExactly(key);
    assertThat(found("export AWS_SECRET_ACCESS_KEY=\"" + key + "\"", EntityType.API_KEY))
        .containsExactly(key);
    assertThat(found("my AWS secret key " + key + " do not share", EntityType.API_KEY))
        .containsExactly(key);
    assertThat(found("aws_secret_access_key\t" + key, EntityType.API_KEY)).containsExactly(key);
    // a git commit id or a hex digest after the same words is no key (lower case, no / or +)
    assertThat(
            found(
                "aws key rotation landed in 3f2a9c1d7e4b5a6f8091a2b3c4d5e6f708192a3b",
                EntityType.API_KEY))
        .isEmpty();
    assertThat(found("MY_AWS_SECRET_KEY=" + key, EntityType.API_KEY)).containsExactly(key);
    // "aws" inside a word is not the word
    assertThat(found("Draws the key from " + key, EntityType.API_KEY)).isEmpty();
    assertThat(found("new laws keyboard " + key, EntityType.API_KEY)).isEmpty();
    assertThat(found("jaws secret: " + key, EntityType.API_KEY)).isEmpty();
  }

  @Test
  void privateKeyBlocksAreOneSpan() {
    String key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAKC\n-----END RSA PRIVATE KEY-----";
    assertThat(found("cat id_rsa\n" + key + "\n", EntityType.API_KEY)).containsExactly(key);
  }

  @Test
  void passwordsInUrlsAndAssignmentsAreSecrets() {
    String url = "postgres://app:s3cr3t-pw@db.internal:5432/x and https://u:pw12@example.com/a";
    assertThat(found(url, EntityType.SECRET)).containsExactly("s3cr3t-pw", "pw12");
    assertThat(found(url, EntityType.DOMAIN_NAME)).containsExactly("example.com/a");
    assertThat(found("export PASSWORD=hunter22 and api_key: 'abcd1234'", EntityType.SECRET))
        .containsExactly("hunter22", "abcd1234");
    assertThat(found("Authorization: Bearer abcdefghijklmnop0123", EntityType.SECRET))
        .containsExactly("abcdefghijklmnop0123");
  }

  /** What env, printenv or cat .env print in a sandbox. */
  @ParameterizedTest
  @ValueSource(
      strings = {"DB_PASSWORD", "MYSQL_ROOT_PASSWORD", "APP_SECRET_KEY", "SLACK_BOT_TOKEN"})
  void credentialsInEnvironmentVariablesAreSecrets(String variable) {
    assertThat(
            found("HOME=/root\n" + variable + "=S3cret-1234\nMAX_TOKENS=4096\n", EntityType.SECRET))
        .containsExactly("S3cret-1234");
    assertThat(found("input_token_count=1234 author=Ann", EntityType.SECRET)).isEmpty();
  }

  @Test
  void quotedValuesUnderCredentialKeysInPrintedJsonOrDictsAreSecrets() {
    // what `aws sts get-session-token` prints; a tool output is scanned as text, not as JSON
    String sts =
        "{\"Credentials\": {\"AccessKeyId\": \"ASIAIOSFODNN7EXAMPLE\", \"SecretAccessKey\":"
            + " \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\", \"SessionToken\": \"Fwo\\\"GZXIvYXdz\"}}";
    assertThat(found(sts, EntityType.SECRET))
        .contains("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "Fwo\\\"GZXIvYXdz");
    // what boto3's response prints as
    assertThat(
            found(
                "{'SecretAccessKey': 'zQ9x/K7MDENG', 'client_secret': 'ab cd'}", EntityType.SECRET))
        .containsExactly("zQ9x/K7MDENG", "ab cd");
    // keys that name no credential
    assertThat(
            found(
                "{\"author\": \"Ann Lee\", \"tokens\": 12, \"title\": \"pass\"}",
                EntityType.SECRET))
        .isEmpty();
  }

  /** Printed JSON's keys are judged as {@link JsonScanner} judges them in tool arguments. */
  @Test
  void printedJsonKeysNameACredentialAsJsonScanningDoes() {
    assertThat(
            found(
                "{\"tokenizer\": \"bert-base-uncased\", \"max_tokens\": \"512\","
                    + " \"prompt_tokens\": \"7\", \"secretary\": \"Jane Roe\"}",
                EntityType.SECRET))
        .isEmpty();
    // whole-word short names (a JSON key's segments), missed as long as only long names counted
    assertThat(
            found(
                "{'db_pass': 'hunter22', \"card_pin\": \"4321\", \"totp\": \"123456\","
                    + " \"compass\": \"north\"}",
                EntityType.SECRET))
        .containsExactly("hunter22", "4321", "123456");
  }

  @Test
  void textWithoutPiiHasNoSpans() {
    assertThat(scanner.scan("ls -la && echo done; exit code 0")).isEmpty();
    assertThat(scanner.scan("")).isEmpty();
  }
}
