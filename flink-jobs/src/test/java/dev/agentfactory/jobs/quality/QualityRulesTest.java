package dev.agentfactory.jobs.quality;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.connectors.event.Interaction;
import dev.agentfactory.connectors.event.Message;
import dev.agentfactory.connectors.event.ToolCall;
import dev.agentfactory.connectors.event.ToolCallStatus;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class QualityRulesTest {

  private static final String PARAGRAPH =
      "The deployment failed because the database migration timed out after thirty seconds."
          + " We raised the lock timeout, reran the migration against a staging copy, and it"
          + " finished in twelve seconds. Next we will split the index build into its own step"
          + " so that a slow build cannot block the schema change again.";

  private final QualityRules rules = new QualityRules(QualityConfig.defaults());

  @Test
  void aShortCommandWithShortOutputIsKept() {
    assertThat(rules.check(command("echo hi", "hi\n"))).isEmpty();
    assertThat(rules.check(command("true", ""))).isEmpty();
    assertThat(rules.check(command("pwd", "/w"))).isEmpty();
  }

  @Test
  void theEdgeTestsTurnsAreKept() {
    assertThat(
            rules.check(
                command(
                    "echo contact <EMAIL_ADDRESS>; id -u; echo oops >&2; exit 3",
                    "contact <EMAIL_ADDRESS>\n1000\noops\n")))
        .isEmpty();
    assertThat(rules.check(chat("What is 17 * 23? Use python.", "17 * 23 = 391"))).isEmpty();
    assertThat(
            rules.check(
                command(
                    "for i in 1 2 3 4 5 6; do echo line$i; sleep 0.3; done",
                    "line1\nline2\nline3\nline4\nline5\nline6\n")))
        .isEmpty();
  }

  @Test
  void aTurnWithoutUserAssistantOrToolContentIsEmpty() {
    Interaction onlySystem =
        base()
            .message(Message.system("You are a helpful agent."))
            .message(Message.user("  \n"))
            .build();
    assertThat(rules.check(onlySystem)).contains(DropReason.EMPTY);
    assertThat(rules.check(base().build())).contains(DropReason.EMPTY);
    assertThat(rules.check(chat("", "ok"))).isEmpty();
  }

  @Test
  void contentOverTheCapIsOversized() {
    QualityRules small = new QualityRules(QualityConfig.defaults().withMaxContentBytes(1000));
    assertThat(small.check(chat("summarise", PARAGRAPH.repeat(4)))).contains(DropReason.OVERSIZED);
    assertThat(small.check(chat("summarise", PARAGRAPH))).isEmpty();
    // bytes, not chars: "é" is 2 bytes
    assertThat(small.check(chat("é".repeat(400), "é".repeat(101)))).contains(DropReason.OVERSIZED);
    assertThat(small.check(chat("é".repeat(400), "é".repeat(100)))).isEmpty();
  }

  @Test
  void theDefaultCapIsOneMebibyte() {
    String words = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod ";
    String big =
        IntStream.range(0, 20_000).mapToObj(i -> i + " " + words).collect(Collectors.joining());
    assertThat(big.length()).isGreaterThan(1024 * 1024);
    assertThat(rules.check(command("cat big.txt", big))).contains(DropReason.OVERSIZED);
    assertThat(rules.check(command("cat half.txt", big.substring(0, 900_000)))).isEmpty();
  }

  @Test
  void binaryOrSymbolOnlyOutputIsGarbage() {
    String binary =
        "\u0000\u0001\u0002\uFFFD\u007F\u0003ELF\u0004\u0005\u0006\uFFFD\uFFFD\u0010\u0011";
    assertThat(rules.check(command("cat /bin/ls", binary))).contains(DropReason.GARBAGE);
    assertThat(rules.check(chat("?!?!", "... --- ..."))).contains(DropReason.GARBAGE);
    assertThat(rules.check(chat("??", "42"))).isEmpty();
    assertThat(rules.check(command("printf 'a\\tb'", "a\tb"))).isEmpty();
  }

  @Test
  void replacementCharactersAndMojibakeAreEncodingJunk() {
    String mojibake = "Le cafÃ© est prÃªt, la rÃ©union commence Ã  midi.";
    assertThat(rules.check(chat("traduis", mojibake))).contains(DropReason.ENCODING_JUNK);
    String replaced = "Le caf\uFFFD est pr\uFFFDt, la r\uFFFDunion commence \uFFFD midi.";
    assertThat(rules.check(chat("traduis", replaced))).contains(DropReason.ENCODING_JUNK);
    assertThat(rules.check(chat("quotes", "it\u00e2\u20ac\u2122s the userâ€™s â€œfileâ€\u009d")))
        .contains(DropReason.ENCODING_JUNK);
  }

  @Test
  void correctAccentsAndASingleStrayReplacementAreNotJunk() {
    assertThat(rules.check(chat("traduis", "Le café est prêt, la réunion commence à midi.")))
        .isEmpty();
    assertThat(rules.check(chat("©", "Copyright © 2026 Ñandú GmbH, Straße 5, naïve façade")))
        .isEmpty();
    assertThat(rules.check(chat("grep", PARAGRAPH + " caf\uFFFD"))).isEmpty();
  }

  @Test
  void aTextDominatedByOneLineIsRepetition() {
    assertThat(rules.check(command("yes | head -20", "y\n".repeat(20))))
        .contains(DropReason.REPETITION);
    String mostly = "error: retry\n".repeat(9) + "done\n";
    assertThat(rules.check(command("./sync", mostly))).contains(DropReason.REPETITION);
  }

  @Test
  void fewOrVariedLinesAreNotRepetition() {
    assertThat(rules.check(command("yes | head -5", "y\n".repeat(5)))).isEmpty();
    assertThat(rules.check(command("seq 100", seq(100)))).isEmpty();
    String ls =
        IntStream.range(0, 30)
            .mapToObj(i -> "-rw-r--r-- 1 root root 4096 Nov 25 15:11 file" + i + ".txt")
            .collect(Collectors.joining("\n"));
    assertThat(rules.check(command("ls -la", ls))).isEmpty();
  }

  @Test
  void aTextDominatedByOneNgramIsRepetition() {
    assertThat(rules.check(chat("laugh", "ha ".repeat(60)))).contains(DropReason.REPETITION);
    assertThat(rules.check(chat("sing", "la la land ".repeat(30)))).contains(DropReason.REPETITION);
    assertThat(rules.check(chat("explain", PARAGRAPH))).isEmpty();
    assertThat(rules.check(chat("laugh", "ha ".repeat(20)))).isEmpty();
  }

  @Test
  void exactFingerprintsIgnoreIdsSessionsAndWhitespaceButNotCase() {
    Fingerprint a = rules.fingerprint(command("echo still here", "still here\n"));
    Fingerprint b = rules.fingerprint(command("echo  still  here", "  still here"));
    Fingerprint upper = rules.fingerprint(command("ECHO still here", "still here\n"));
    assertThat(a.exactHash()).isEqualTo(b.exactHash());
    assertThat(a.exactHash()).isNotEqualTo(upper.exactHash());
    assertThat(a.nearDuplicateCandidate()).as("too short for near-duplicate detection").isFalse();
  }

  @Test
  void aTurnWhoseAssistantNamesItsToolCallsHashesLikeTheSameTurnRecordedBeforeTheLinks() {
    // Edges from before tool_call_ids left the tool-calling assistant message out; the dedup state
    // a savepoint carries across the upgrade must still recognise their turns.
    ToolCall call =
        new ToolCall(
            "c1", "sandbox_exec", "{\"command\":\"echo 84\"}", "84\n", 0, ToolCallStatus.OK, 3);
    Interaction before =
        Interaction.builder()
            .sessionId("s1")
            .tenant("acme")
            .agent("math", "v1")
            .message(Message.user("what is 12*(3+4)?"))
            .message(Message.assistant("84"))
            .toolCall(call)
            .build();
    Interaction linked =
        Interaction.builder()
            .sessionId("s2")
            .tenant("acme")
            .agent("math", "v1")
            .message(Message.user("what is 12*(3+4)?"))
            .message(Message.assistant("", List.of("c1")))
            .message(Message.assistant("84"))
            .toolCall(call)
            .build();
    assertThat(rules.fingerprint(linked).exactHash())
        .isEqualTo(rules.fingerprint(before).exactHash());
  }

  @Test
  void lightlyEditedTextsAreNearAndDifferentTextsAreNot() {
    Fingerprint original = rules.fingerprint(chat("explain the outage", PARAGRAPH));
    Fingerprint edited =
        rules.fingerprint(chat("explain the outage", PARAGRAPH.replace("twelve", "eleven")));
    Fingerprint sameTopic =
        rules.fingerprint(
            chat(
                "explain the outage",
                "The deployment failed because a consumer was stuck in a rebalance loop; we"
                    + " restarted it with a longer session timeout and the lag was gone within a"
                    + " minute. Next we will alert on rebalances that last longer than a minute."));
    double minJaccard = QualityConfig.defaults().nearDuplicateMinJaccard();
    assertThat(original.exactHash()).isNotEqualTo(edited.exactHash());
    assertThat(original.nearDuplicateCandidate()).isTrue();
    assertThat(edited.isNear(original.minHash(), minJaccard)).isTrue();
    assertThat(sameTopic.isNear(original.minHash(), minJaccard)).isFalse();
  }

  static Interaction command(String command, String output) {
    return Interaction.sandboxCommand(
        "acme", "s-" + command.hashCode(), 0, "shell", "1", command, output, 0, Duration.ZERO);
  }

  static Interaction chat(String user, String assistant) {
    return base().message(Message.user(user)).message(Message.assistant(assistant)).build();
  }

  private static Interaction.Builder base() {
    return Interaction.builder().sessionId("s").tenant("acme").agent("calc", "1");
  }

  private static String seq(int n) {
    return IntStream.rangeClosed(1, n)
        .mapToObj(Integer::toString)
        .collect(Collectors.joining("\n"));
  }
}
