package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;

import dev.agentfactory.sandbox.ExecRequest;
import dev.agentfactory.sandbox.ExecResult;
import dev.agentfactory.sandbox.init.InitFrame;
import dev.agentfactory.sandbox.init.InitProtocol;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** An {@link InitSession} over in-memory pipes to a fake af-init that exits every command 3. */
class InitSessionTest {

  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
  private final CompletableFuture<InitSession> died = new CompletableFuture<>();
  private Pipe toInit;
  private Pipe fromInit;
  private Thread fakeInit;

  @BeforeEach
  void startFakeInit() throws IOException {
    toInit = Pipe.open();
    fromInit = Pipe.open();
    InputStream commands = Channels.newInputStream(toInit.source());
    OutputStream replies = Channels.newOutputStream(fromInit.sink());
    fakeInit =
        new Thread(
            () -> {
              try {
                InitFrame frame;
                while ((frame = InitProtocol.read(commands)) != null) {
                  if (frame.type() == InitFrame.Type.EXEC) {
                    byte[] exit = ByteBuffer.allocate(5).put((byte) 0).putInt(3).array();
                    InitProtocol.write(replies, new InitFrame(InitFrame.Type.EXIT, exit));
                  }
                }
              } catch (IOException e) {
                // the test closed the pipes
              }
            },
            "fake-af-init");
    fakeInit.setDaemon(true);
    fakeInit.start();
  }

  @AfterEach
  void stop() throws Exception {
    toInit.sink().close();
    fromInit.sink().close();
    fakeInit.join();
    timer.shutdownNow();
  }

  private InitSession session(Consumer<ExecResult> onCommandEnd) {
    SandboxProcess process =
        new SandboxProcess() {
          @Override
          public long pid() {
            throw new UnsupportedOperationException("no host process");
          }

          @Override
          public InputStream input() {
            return Channels.newInputStream(fromInit.source());
          }

          @Override
          public OutputStream output() {
            return Channels.newOutputStream(toInit.sink());
          }

          @Override
          public boolean isAlive() {
            return true;
          }

          @Override
          public void kill() {}

          @Override
          public boolean waitFor(long timeout, TimeUnit unit) {
            return false;
          }

          @Override
          public void closeOutput() {}

          @Override
          public void closeInput() {}
        };
    return new InitSession(
        "sbx-1", process, Path.of("/nonexistent.log"), timer, died::complete, onCommandEnd);
  }

  private static ExecResult run(InitSession session) throws Exception {
    ExecRequest request = new ExecRequest(List.of("true"), null, Duration.ofMinutes(5), 1024);
    return session.exec(request, null).toCompletableFuture().get(1, TimeUnit.MINUTES);
  }

  @Test
  void aThrowingCommandEndCallbackNeitherFailsTheCommandNorKillsTheSandbox() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    InitSession session =
        session(
            result -> {
              calls.incrementAndGet();
              throw new IllegalStateException("cgroup counters unreadable");
            });

    ExecResult first = run(session);
    ExecResult second = run(session);

    assertThat(first.exitCode()).isEqualTo(3);
    assertThat(second.exitCode()).isEqualTo(3);
    assertThat(calls).hasValue(2);
    assertThat(session.isAlive()).isTrue();
    assertThat(died).isNotDone();
  }
}
