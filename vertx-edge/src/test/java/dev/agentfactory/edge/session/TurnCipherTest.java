package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class TurnCipherTest {

  private static final byte[] AAD = "acme\0s1\0c1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] EVENT = "{\"command\":\"ls\"}".getBytes(StandardCharsets.UTF_8);

  @Test
  void theFirstKeySealsAndEveryListedKeyOpens() throws Exception {
    TurnCipher old = TurnCipher.of(List.of(key(1)));
    TurnCipher rotated = TurnCipher.of(List.of(key(2), key(1)));
    TurnCipher.Sealed byOld = old.seal(EVENT, AAD);
    TurnCipher.Sealed byNew = rotated.seal(EVENT, AAD);

    assertThat(byNew.keyId()).isEqualTo(rotated.sealingKeyId()).isNotEqualTo(byOld.keyId());
    assertThat(rotated.open(byOld.keyId(), byOld.payload(), AAD)).isEqualTo(EVENT);
    assertThat(rotated.open(byNew.keyId(), byNew.payload(), AAD)).isEqualTo(EVENT);
    assertThat(rotated.keyIds()).containsExactlyInAnyOrder(old.sealingKeyId(), byNew.keyId());
    assertThat(rotated.holds(old.sealingKeyId())).isTrue();
    assertThat(old.holds(rotated.sealingKeyId())).isFalse();
  }

  @Test
  void sealWithUsesTheNamedKeyNotTheFirst() throws Exception {
    TurnCipher rotated = TurnCipher.of(List.of(key(2), key(1)));
    String second = TurnCipher.of(List.of(key(1))).sealingKeyId();

    TurnCipher.Sealed sealed = rotated.sealWith(second, EVENT, AAD);

    assertThat(sealed.keyId()).isEqualTo(second);
    assertThat(TurnCipher.of(List.of(key(1))).open(second, sealed.payload(), AAD)).isEqualTo(EVENT);
    assertThatThrownBy(() -> rotated.sealWith("k0000000000000000", EVENT, AAD))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("k0000000000000000");
  }

  @Test
  void aPayloadOpensOnlyForItsOwnTurnAndUnderItsOwnKey() {
    TurnCipher cipher = TurnCipher.of(List.of(key(1)));
    TurnCipher.Sealed sealed = cipher.seal(EVENT, AAD);
    byte[] otherTurn = "acme\0s1\0c2".getBytes(StandardCharsets.UTF_8);

    assertThatThrownBy(() -> cipher.open(sealed.keyId(), sealed.payload(), otherTurn))
        .isInstanceOf(TurnCipher.UnopenablePayloadException.class)
        .hasMessageContaining("does not authenticate");
    TurnCipher other = TurnCipher.of(List.of(key(2)));
    assertThatThrownBy(() -> other.open(sealed.keyId(), sealed.payload(), AAD))
        .isInstanceOf(TurnCipher.UnopenablePayloadException.class)
        .hasMessageContaining(sealed.keyId())
        .hasMessageContaining("this node has " + other.sealingKeyId());
  }

  @Test
  void aBadSpecEntryIsNamedByPositionAndNeverEchoed() {
    String good = Base64.getEncoder().encodeToString(key(1));
    String shortKey = Base64.getEncoder().encodeToString(new byte[16]);

    assertThatThrownBy(() -> TurnCipher.fromSpec(good + "," + shortKey))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("entry 2 of 2")
        .hasMessageNotContaining(shortKey);
    assertThatThrownBy(() -> TurnCipher.fromSpec(good + ", "))
        .hasMessageContaining("entry 2 of 2 is empty");
    assertThat(TurnCipher.fromSpec(" " + good + " ").sealingKeyId())
        .isEqualTo(TurnCipher.of(List.of(key(1))).sealingKeyId());
  }

  private static byte[] key(int seed) {
    byte[] key = new byte[32];
    Arrays.fill(key, (byte) seed);
    return key;
  }
}
