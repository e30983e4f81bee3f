package dev.agentfactory.sandbox.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.agentfactory.sandbox.SandboxException;
import java.util.List;
import org.junit.jupiter.api.Test;

class WorkspacePathTest {

  private static String codeOf(String path, boolean rootAllowed) {
    try {
      WorkspacePath.parse(path, rootAllowed);
      return "accepted";
    } catch (SandboxException e) {
      assertThat(e.getMessage())
          .as("names the path")
          .contains(String.valueOf(path).replace("\0", "\\0"));
      return e.code();
    }
  }

  @Test
  void relativePathsSplitIntoSegments() {
    assertThat(WorkspacePath.parse("src/./main.py", false).segments())
        .containsExactly("src", "main.py");
    assertThat(WorkspacePath.parse("a//b/", false).relative()).isEqualTo("a/b");
  }

  @Test
  void absolutePathsUnderTheMountPointAreTheWorkspace() {
    assertThat(WorkspacePath.parse("/workspace/notes.txt", false).segments())
        .containsExactly("notes.txt");
    assertThat(WorkspacePath.parse("/workspace", true).segments()).isEmpty();
    assertThat(WorkspacePath.parse("", true).segments()).isEmpty();
    assertThat(WorkspacePath.parse(".", true).segments()).isEmpty();
  }

  @Test
  void pathsThatLeaveTheWorkspaceAreRejected() {
    for (String p : List.of("../x", "a/../../x", "a/..", "/etc/shadow", "/workspacex/a", "/")) {
      assertThat(codeOf(p, true)).as(p).isEqualTo("path_outside_workspace");
    }
  }

  @Test
  void malformedPathsAreRejected() {
    assertThat(codeOf("a\0b", false)).isEqualTo("invalid_path");
    assertThat(codeOf("", false)).isEqualTo("invalid_path");
    assertThat(codeOf("/workspace/", false)).isEqualTo("invalid_path");
    assertThat(codeOf("x".repeat(256), false)).isEqualTo("invalid_path");
    assertThatThrownBy(() -> WorkspacePath.parse(null, true))
        .isInstanceOf(SandboxException.class)
        .hasMessageContaining("missing");
  }
}
