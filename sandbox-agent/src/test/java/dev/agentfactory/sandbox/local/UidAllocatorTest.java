package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.SandboxException;
import org.junit.jupiter.api.Test;

class UidAllocatorTest {

  @Test
  void uidsComeFromTheRangeAndAreNotSharedWhileInUse() {
    UidAllocator uids = new UidAllocator(5000, 2);

    int a = uids.allocate();
    int b = uids.allocate();

    assertThat(a).isNotEqualTo(b);
    assertThat(a).isBetween(5000, 5001);
    assertThat(b).isBetween(5000, 5001);
  }

  @Test
  void exhaustedRangeFailsRetriably() {
    UidAllocator uids = new UidAllocator(5000, 1);
    uids.allocate();

    assertThatThrownBy(uids::allocate)
        .isInstanceOfSatisfying(SandboxException.class, e -> assertThat(e.retriable()).isTrue())
        .hasMessageContaining("uids");
  }

  @Test
  void releasedUidIsReusedOnlyAfterTheOthers() {
    UidAllocator uids = new UidAllocator(5000, 3);
    int first = uids.allocate();
    uids.release(first);

    assertThat(uids.allocate()).isEqualTo(5001);
    assertThat(uids.allocate()).isEqualTo(5002);
    assertThat(uids.allocate()).isEqualTo(first);
    assertThat(uids.inUse()).isEqualTo(3);
  }
}
