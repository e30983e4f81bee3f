package dev.agentfactory.edge.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReplayBufferTest {

  @Test
  void replaysExactlyTheFramesAfterTheLastSeenOne() {
    ReplayBuffer buffer = new ReplayBuffer(10, 1000);
    for (int seq = 1; seq <= 5; seq++) {
      buffer.add(seq, "f" + seq);
    }

    assertThat(buffer.after(2)).contains(java.util.List.of("f3", "f4", "f5"));
    assertThat(buffer.after(5)).contains(java.util.List.of());
    assertThat(buffer.after(0)).contains(java.util.List.of("f1", "f2", "f3", "f4", "f5"));
  }

  @Test
  void aGapBeyondWhatIsKeptIsReportedNotPapered() {
    ReplayBuffer buffer = new ReplayBuffer(3, 1000);
    for (int seq = 1; seq <= 6; seq++) {
      buffer.add(seq, "f" + seq);
    }

    assertThat(buffer.after(3)).contains(java.util.List.of("f4", "f5", "f6"));
    assertThat(buffer.after(2)).isEmpty();
  }

  @Test
  void theByteLimitDropsOldFramesButKeepsTheNewest() {
    ReplayBuffer buffer = new ReplayBuffer(100, 10);
    buffer.add(1, "aaaaaa");
    buffer.add(2, "bbbbbb");
    buffer.add(3, "c".repeat(50));

    assertThat(buffer.after(2)).contains(java.util.List.of("c".repeat(50)));
    assertThat(buffer.after(1)).isEmpty();
  }

  @Test
  void aSeqFromTheFutureOrOutOfOrderIsRejected() {
    ReplayBuffer buffer = new ReplayBuffer(10, 100);
    buffer.add(1, "x");

    assertThat(buffer.after(7)).isEmpty();
    assertThat(buffer.after(-1)).isEmpty();
    assertThatThrownBy(() -> buffer.add(3, "y")).isInstanceOf(IllegalArgumentException.class);
  }
}
